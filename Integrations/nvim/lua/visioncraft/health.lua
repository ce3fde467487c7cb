-- :checkhealth visioncraft (Neovim 0.7 finds lua/visioncraft/health.lua;
-- newer versions have vim.health).

local M = {}

-- The reporting functions of whichever API this Neovim has.
local function reporter()
  local health = vim.health
  if health and health.start then
    return health.start, health.ok, health.warn, health.error, health.info
  end
  if health and health.report_start then
    return health.report_start, health.report_ok, health.report_warn, health.report_error, health.report_info
  end
  local function vimscript(name)
    return function(message, advice)
      if advice then
        vim.fn['health#report_' .. name](message, advice)
      else
        vim.fn['health#report_' .. name](message)
      end
    end
  end
  return vimscript('start'), vimscript('ok'), vimscript('warn'), vimscript('error'), vimscript('info')
end

function M.check()
  local start, ok, warn, error, info = reporter()
  start('visioncraft')
  if vim.fn.has('nvim-0.7') == 1 then
    ok('Neovim ' .. tostring(vim.version().major) .. '.' .. tostring(vim.version().minor) .. ' (0.7 or newer)')
  else
    error('Neovim 0.7 or newer is needed')
    return
  end
  local visioncraft = require('visioncraft')
  local client = visioncraft.client()
  info('socket: ' .. client.socket)
  local stat = vim.loop.fs_stat(client.socket)
  if not stat then
    error('no socket at ' .. client.socket, { 'start the daemon: vcctl daemon start', 'or set $VISIONCRAFT_SOCKET or setup({ socket = ... })' })
    return
  elseif stat.type ~= 'socket' then
    error(client.socket .. ' is not a socket (' .. tostring(stat.type) .. ')')
    return
  end
  local err, status = client:request_sync('daemon.status', nil, 5000)
  if err then
    error('the socket does not answer: ' .. visioncraft.describe_error(err), { 'vcctl daemon restart' })
    return
  end
  ok('the daemon answers on ' .. client.socket)
  ok('visioncraftd ' .. tostring(status.version) .. ' (pid ' .. tostring(status.pid) .. ')')
  if status.upstream then
    info('upstream: ' .. tostring(status.upstream.url) .. (status.upstream.emulator and ' (emulator)' or ''))
  end
  local key_err, key = client:request_sync('key.status', nil, 5000)
  if key_err then
    warn('key.status failed: ' .. visioncraft.describe_error(key_err))
  elseif key.state == 'set' then
    ok('API key set' .. (key.source and (' (from ' .. key.source .. ')') or '') .. (key.masked and (' ' .. key.masked) or ''))
  elseif key.state == 'rejected' then
    error('the upstream rejected the API key' .. (key.reason and (': ' .. key.reason) or ''), { 'vcctl key set' })
  else
    warn('no API key is set: jobs wait until one is', { 'vcctl key set' })
  end
end

return M
