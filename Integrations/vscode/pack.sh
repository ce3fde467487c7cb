#!/bin/sh
# Packs the extension into a .vsix by hand (what `vsce package` makes), with
# zip (or python3's zipfile when zip is missing). Usage: ./pack.sh [OUTPUT.vsix]   (default: ./visioncraft-VERSION.vsix)
# Install the result with: code --install-extension visioncraft-VERSION.vsix
set -eu

here=$(cd "$(dirname "$0")" && pwd)
if command -v zip >/dev/null 2>&1; then
    archiver=zip
elif command -v python3 >/dev/null 2>&1; then
    archiver=python3
else
    echo "pack.sh: needs zip or python3 (apt install zip)" >&2
    exit 69
fi

# The manifest's fields, read with sed so node is not needed either.
field() { sed -n "s/^  \"$1\": \"\\(.*\\)\",\{0,1\}\$/\\1/p" "$here/package.json" | head -n 1; }
name=$(field name)
version=$(field version)
publisher=$(field publisher)
display=$(field displayName)
description=$(field description)
[ -n "$name" ] && [ -n "$version" ] && [ -n "$publisher" ] || { echo "pack.sh: cannot read name, version, publisher from package.json" >&2; exit 65; }

output=${1:-"$PWD/$name-$version.vsix"}
case $output in /*) ;; *) output="$PWD/$output" ;; esac

stage=$(mktemp -d "${TMPDIR:-/tmp}/visioncraft-vsix.XXXXXX")
trap 'rm -rf "$stage"' EXIT INT TERM
mkdir -p "$stage/extension/lib"
cp "$here/package.json" "$here/extension.js" "$here/README.md" "$stage/extension/"
cp "$here/lib/"*.js "$stage/extension/lib/"

cat >"$stage/[Content_Types].xml" <<'XML'
<?xml version="1.0" encoding="utf-8"?>
<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">
  <Default Extension=".vsixmanifest" ContentType="text/xml"/>
  <Default Extension=".json" ContentType="application/json"/>
  <Default Extension=".js" ContentType="application/javascript"/>
  <Default Extension=".md" ContentType="text/markdown"/>
</Types>
XML

cat >"$stage/extension.vsixmanifest" <<XML
<?xml version="1.0" encoding="utf-8"?>
<PackageManifest Version="2.0.0" xmlns="http://schemas.microsoft.com/developer/vsx-schema/2011" xmlns:d="http://schemas.microsoft.com/developer/vsx-schema-design/2011">
  <Metadata>
    <Identity Language="en-US" Id="$name" Version="$version" Publisher="$publisher"/>
    <DisplayName>$display</DisplayName>
    <Description xml:space="preserve">$description</Description>
    <Tags>image generation,markdown,visioncraft</Tags>
    <Categories>Other</Categories>
    <GalleryFlags>Public</GalleryFlags>
    <Properties>
      <Property Id="Microsoft.VisualStudio.Code.Engine" Value="^1.75.0"/>
      <Property Id="Microsoft.VisualStudio.Code.ExtensionKind" Value="workspace"/>
    </Properties>
  </Metadata>
  <Installation>
    <InstallationTarget Id="Microsoft.VisualStudio.Code"/>
  </Installation>
  <Dependencies/>
  <Assets>
    <Asset Type="Microsoft.VisualStudio.Code.Manifest" Path="extension/package.json" Addressable="true"/>
    <Asset Type="Microsoft.VisualStudio.Services.Content.Details" Path="extension/README.md" Addressable="true"/>
  </Assets>
</PackageManifest>
XML

rm -f "$output"
if [ "$archiver" = zip ]; then
    (cd "$stage" && zip -q -X -D -r "$output" "[Content_Types].xml" extension.vsixmanifest extension)
else
    (cd "$stage" && python3 -m zipfile -c "$output" "[Content_Types].xml" extension.vsixmanifest extension)
fi
echo "$output"
