"""vcctl mcp driven by the official MCP client, the `mcp` Python SDK.

Usage: mcp_sdk_client.py MODE VCCTL [VCCTL_ARGUMENT ...]
MODE is the SDK's connect mode: legacy (the initialize handshake), auto
(server/discover, falling back to initialize) or a modern version such as
2026-07-28. The server is `VCCTL VCCTL_ARGUMENT... mcp`, started by the SDK's
stdio client with this environment. Prints one JSON object: what the client
saw, for MCPPythonSDKTests to check fact by fact.
"""

import asyncio
import base64
import json
import os
import sys
import traceback

from mcp.client.client import Client
from mcp.client.stdio import StdioServerParameters


def block(content):
    """A content block as plain JSON (the SDK's pydantic model dumped)."""
    return content.model_dump(by_alias=True, mode="json", exclude_none=True)


async def run(mode, command):
    seen = {"mode": mode}
    server = StdioServerParameters(command=command[0], args=command[1:] + ["mcp"], env=dict(os.environ))
    async with Client(server, mode=mode, read_timeout_seconds=120) as client:
        seen["protocol_version"] = client.protocol_version
        seen["server_name"] = client.server_info.name if client.server_info else None

        tools = await client.list_tools()
        seen["tools"] = [tool.name for tool in tools.tools]
        generate = next(tool for tool in tools.tools if tool.name == "generate_image")
        seen["generate_required"] = generate.input_schema.get("required")

        progress = []

        async def on_progress(value, total, message):
            progress.append({"progress": value, "total": total, "message": message})

        result = await client.call_tool(
            "generate_image", {"prompt": "a lighthouse seen by the python sdk", "image_count": 2, "wait_seconds": 60},
            progress_callback=on_progress,
        )
        contents = [block(content) for content in result.content]
        seen["generate"] = {
            "is_error": bool(result.is_error),
            "types": [content["type"] for content in contents],
            "uris": [content["uri"] for content in contents if content["type"] == "resource_link"],
            "mime_types": [content.get("mimeType") for content in contents if content["type"] == "resource_link"],
            "structured": result.structured_content,
            "text": next((content["text"] for content in contents if content["type"] == "text"), None),
        }
        seen["progress"] = progress

        job_id = (result.structured_content or {}).get("job", {}).get("id")
        if job_id:
            job = await client.read_resource(f"visioncraft://job/{job_id}")
            first = job.contents[0]
            seen["job_resource"] = {"mime_type": first.mime_type, "json": json.loads(first.text)}
        uris = seen["generate"]["uris"]
        if uris:
            image = await client.read_resource(uris[0])
            first = image.contents[0]
            blob = base64.b64decode(first.blob)
            seen["image_resource"] = {"mime_type": first.mime_type, "png": blob[:8] == b"\x89PNG\r\n\x1a\n", "bytes": len(blob)}

        # Every tool's structured content is checked by the SDK against its outputSchema.
        others = {
            "get_job": {"id": job_id}, "wait_job": {"id": job_id, "wait_seconds": 1}, "list_jobs": {"limit": 2},
            "search_history": {"query": "lighthouse"}, "list_backends": {}, "list_models": {},
        }
        seen["other_tools"] = {}
        for name, arguments in others.items():
            answer = await client.call_tool(name, arguments)
            seen["other_tools"][name] = {"is_error": bool(answer.is_error), "structured": answer.structured_content is not None}

        refused = await client.call_tool("generate_image", {"prompt": "too many", "image_count": 10000})
        seen["refused"] = {
            "is_error": bool(refused.is_error),
            "text": " ".join(block(content).get("text", "") for content in refused.content),
        }
        # A protocol fault is an exception, not a result.
        try:
            await client.read_resource("file:///etc/passwd")
            seen["outside_file"] = {"refused": False}
        except Exception as error:  # the SDK raises its MCPError
            seen["outside_file"] = {"refused": True, "message": str(error)}
    return seen


def main():
    mode, command = sys.argv[1], sys.argv[2:]
    try:
        seen = asyncio.run(run(mode, command))
    except BaseException as error:  # report, so that the test names what broke
        causes = list(getattr(error, "exceptions", [])) or [error]
        while len(causes) == 1 and getattr(causes[0], "exceptions", None):
            causes = list(causes[0].exceptions)
        traceback.print_exception(error)
        print(json.dumps({"mode": mode, "failure": "; ".join(f"{type(cause).__name__}: {cause}" for cause in causes)}))
        sys.exit(1)
    print(json.dumps(seen))


main()
