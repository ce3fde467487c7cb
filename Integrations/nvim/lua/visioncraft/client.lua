-- A JSON-RPC 2.0 client for visioncraftd's Unix socket (one JSON message
-- per line), on libuv pipes. Neovim 0.7+.
--
-- Replies are routed by id to the callback given to request(); notifications
-- (job.updated, events.dropped) go to the listeners added with on(). The
-- client subscribes to events whenever it connects, and reconnects with a
-- backoff when the connection drops (the daemon restarted). Every callback
-- runs on the main loop (vim.schedule), never in a libuv callback.

local uv = vim.loop

local M = {}

--- The socket path, resolved the way the daemon and vcctl resolve it:
--- the explicit path, $VISIONCRAFT_SOCKET, $XDG_RUNTIME_DIR/visioncraft/
--- visioncraftd.sock, /tmp/visioncraft-<uid>/visioncraftd.sock.
function M.socket_path(explicit)
  if explicit and explicit ~= '' then
    return explicit
  end
  local env = os.getenv('VISIONCRAFT_SOCKET')
  if env and env ~= '' then
    return env
  end
  local runtime = os.getenv('XDG_RUNTIME_DIR')
  if runtime and runtime ~= '' then
    return runtime .. '/visioncraft/visioncraftd.sock'
  end
  return '/tmp/visioncraft-' .. tostring(uv.getuid()) .. '/visioncraftd.sock'
end

--- Splits `buffer .. data` into complete lines; returns the lines and the
--- unfinished rest. Blank lines are dropped; a trailing "\r" is removed.
function M.split_lines(buffer, data)
  local text = buffer .. data
  local lines = {}
  local start = 1
  while true do
    local newline = text:find('\n', start, true)
    if not newline then
      break
    end
    local line = text:sub(start, newline - 1):gsub('\r$', '')
    if line:find('%S') then
      lines[#lines + 1] = line
    end
    start = newline + 1
  end
  return lines, text:sub(start)
end

-- JSON null decodes to vim.NIL; callers get nil instead.
local function denull(value)
  if value == vim.NIL then
    return nil
  end
  if type(value) == 'table' then
    for key, item in pairs(value) do
      if item == vim.NIL then
        value[key] = nil
      elseif type(item) == 'table' then
        denull(item)
      end
    end
  end
  return value
end

-- libuv error names as people read them.
local explanations = {
  ENOENT = 'no such socket',
  ECONNREFUSED = 'nobody listens on it',
  EACCES = 'permission denied',
  ENOTSOCK = 'not a socket',
  ENAMETOOLONG = 'the path is too long for a socket',
}

local function explain(err)
  local name = tostring(err):match('^(E%u+)')
  if name and explanations[name] then
    return explanations[name] .. ', ' .. name
  end
  return tostring(err)
end

local Client = {}
Client.__index = Client

--- Creates a client (not yet connected: the first request connects).
---
--- options:
---   socket          explicit socket path (else the usual resolution)
---   reconnect       reconnect after a dropped connection (default true)
---   backoff_min_ms  first delay before reconnecting (default 200)
---   backoff_max_ms  longest delay (default 5000)
---   connect_timeout_ms  a connect that takes longer fails (default 3000)
function M.new(options)
  options = options or {}
  local self = setmetatable({}, Client)
  self.socket = M.socket_path(options.socket)
  self.reconnect = options.reconnect ~= false
  self.backoff_min = options.backoff_min_ms or 200
  self.backoff_max = options.backoff_max_ms or 5000
  self.connect_timeout = options.connect_timeout_ms or 3000
  self.state = 'disconnected' -- 'connecting', 'connected', 'closed'
  self.pipe = nil
  self.next_id = 1
  self.pending = {} -- id -> callback(err, result)
  self.outbox = {} -- encoded lines waiting for the connection
  self.listeners = {} -- method -> list of functions(params)
  self.connection_listeners = {} -- functions(event, detail)
  self.delay = self.backoff_min
  self.timer = nil
  self.connections = 0 -- successful connections so far
  self.last_error = nil
  return self
end

--- Adds a listener for a notification method ('job.updated',
--- 'events.dropped'); it gets the notification's params.
function Client:on(method, listener)
  self.listeners[method] = self.listeners[method] or {}
  table.insert(self.listeners[method], listener)
end

--- Adds a listener for connection changes: listener('connected', count)
--- after each successful connection, listener('disconnected', message)
--- when an established connection drops.
function Client:on_connection(listener)
  table.insert(self.connection_listeners, listener)
end

function Client:is_connected()
  return self.state == 'connected'
end

local function emit_connection(self, event, detail)
  for _, listener in ipairs(self.connection_listeners) do
    local ok, message = pcall(listener, event, detail)
    if not ok then
      vim.notify('visioncraft: ' .. tostring(message), vim.log.levels.ERROR)
    end
  end
end

-- Handles one complete line from the daemon (on the main loop).
local function handle_line(self, line)
  local ok, message = pcall(vim.fn.json_decode, line)
  if not ok or type(message) ~= 'table' then
    vim.notify('visioncraft: the daemon sent something that is not JSON: ' .. line:sub(1, 200), vim.log.levels.WARN)
    return
  end
  if message.method ~= nil then
    local params = denull(message.params) or {}
    for _, listener in ipairs(self.listeners[message.method] or {}) do
      local called, problem = pcall(listener, params)
      if not called then
        vim.notify('visioncraft: ' .. tostring(problem), vim.log.levels.ERROR)
      end
    end
    return
  end
  local id = message.id
  local callback = id ~= nil and id ~= vim.NIL and self.pending[id] or nil
  if not callback then
    if message.error and message.error ~= vim.NIL then
      vim.notify('visioncraft: ' .. tostring(message.error.message), vim.log.levels.WARN)
    end
    return
  end
  self.pending[id] = nil
  if message.error ~= nil and message.error ~= vim.NIL then
    callback(denull(message.error), nil)
  else
    callback(nil, denull(message.result))
  end
end

-- Fails every request still waiting for a reply.
local function fail_pending(self, text)
  local pending = self.pending
  self.pending = {}
  self.outbox = {}
  for _, callback in pairs(pending) do
    callback({ code = -1, message = text, data = { reason = 'disconnected' } }, nil)
  end
end

local function close_pipe(self)
  local pipe = self.pipe
  self.pipe = nil
  if pipe and not pipe:is_closing() then
    pcall(pipe.read_stop, pipe)
    pipe:close()
  end
end

local function stop_timer(self)
  if self.timer then
    self.timer:stop()
    if not self.timer:is_closing() then
      self.timer:close()
    end
    self.timer = nil
  end
end

local schedule_reconnect

-- The connection dropped or could not be made (on the main loop).
local function lost(self, text, was_connected)
  close_pipe(self)
  if self.state == 'closed' then
    return
  end
  self.state = 'disconnected'
  self.last_error = text
  fail_pending(self, text)
  if was_connected then
    emit_connection(self, 'disconnected', text)
  end
  if self.reconnect and (was_connected or self.connections > 0) then
    schedule_reconnect(self)
  end
end

local function write_line(self, line)
  self.pipe:write(line .. '\n', function(err)
    if err then
      vim.schedule(function()
        if self.state == 'connected' then
          lost(self, 'writing to ' .. self.socket .. ' failed: ' .. err, true)
        end
      end)
    end
  end)
end

local function connected(self)
  self.state = 'connected'
  self.connections = self.connections + 1
  self.delay = self.backoff_min
  self.last_error = nil
  stop_timer(self)
  local pipe = self.pipe
  local buffer = ''
  pipe:read_start(function(err, data)
    if err or not data then
      vim.schedule(function()
        if self.pipe == pipe then
          lost(self, err and ('reading from ' .. self.socket .. ' failed: ' .. err) or ('visioncraftd closed the connection on ' .. self.socket), true)
        end
      end)
      return
    end
    -- Split here (plain Lua, allowed in a fast callback); decode later.
    local lines
    lines, buffer = M.split_lines(buffer, data)
    if #lines > 0 then
      vim.schedule(function()
        if self.pipe ~= pipe then
          return
        end
        for _, line in ipairs(lines) do
          handle_line(self, line)
        end
      end)
    end
  end)
  -- Events first, so that nothing after a submit is missed.
  local id = self.next_id
  self.next_id = id + 1
  self.pending[id] = function(err)
    if err and err.data and err.data.reason ~= 'disconnected' then
      vim.notify('visioncraft: events.subscribe failed: ' .. tostring(err.message), vim.log.levels.WARN)
    end
  end
  write_line(self, vim.fn.json_encode({ jsonrpc = '2.0', id = id, method = 'events.subscribe' }))
  local outbox = self.outbox
  self.outbox = {}
  for _, line in ipairs(outbox) do
    write_line(self, line)
  end
  emit_connection(self, 'connected', self.connections)
end

--- Connects unless connected or connecting. Requests made meanwhile wait
--- in the outbox; they fail if the connection cannot be made.
function Client:connect()
  if self.state == 'connected' or self.state == 'connecting' then
    return
  end
  if self.state == 'closed' then
    self.state = 'disconnected'
  end
  stop_timer(self)
  self.state = 'connecting'
  local pipe = uv.new_pipe(false)
  self.pipe = pipe
  local finished = false
  local guard = uv.new_timer()
  local function settle(err)
    if finished then
      return
    end
    finished = true
    guard:stop()
    if not guard:is_closing() then
      guard:close()
    end
    vim.schedule(function()
      if self.pipe ~= pipe then
        return
      end
      if err then
        lost(self, 'cannot connect to visioncraftd at ' .. self.socket .. ' (' .. explain(err) .. ')', false)
      else
        connected(self)
      end
    end)
  end
  guard:start(self.connect_timeout, 0, function()
    settle('timed out')
  end)
  local ok, problem = pcall(pipe.connect, pipe, self.socket, function(err)
    settle(err)
  end)
  if not ok then
    settle(tostring(problem))
  end
end

schedule_reconnect = function(self)
  if self.timer or self.state == 'closed' then
    return
  end
  local delay = self.delay
  self.delay = math.min(self.delay * 2, self.backoff_max)
  self.timer = uv.new_timer()
  self.timer:start(delay, 0, function()
    vim.schedule(function()
      stop_timer(self)
      if self.state == 'disconnected' then
        self:connect()
      end
    end)
  end)
end

--- Sends a request; callback(err, result) runs on the main loop with the
--- JSON-RPC error object (code, message, data) or the result. Connects
--- first when needed. Returns the request's id.
function Client:request(method, params, callback)
  local id = self.next_id
  self.next_id = id + 1
  local message = { jsonrpc = '2.0', id = id, method = method }
  if params ~= nil and next(params) ~= nil then
    message.params = params
  end
  local line = vim.fn.json_encode(message)
  self.pending[id] = function(err, result)
    if callback then
      callback(err, result)
    end
  end
  if self.state == 'connected' then
    write_line(self, line)
  else
    table.insert(self.outbox, line)
    self:connect()
  end
  return id
end

--- Sends a request and waits for its reply (vim.wait: the editor keeps
--- processing events). Returns err, result; err.message is 'timed out'
--- after timeout_ms.
function Client:request_sync(method, params, timeout_ms)
  local done, err, result = false, nil, nil
  self:request(method, params, function(e, r)
    done, err, result = true, e, r
  end)
  if not vim.wait(timeout_ms or 5000, function()
    return done
  end, 10) then
    return { code = -1, message = 'timed out waiting for ' .. method, data = { reason = 'timeout' } }, nil
  end
  return err, result
end

--- Closes the connection; no reconnection until the next request.
function Client:close()
  stop_timer(self)
  self.state = 'closed'
  close_pipe(self)
  fail_pending(self, 'the connection was closed')
end

return M
