-- VisionCraft for Neovim: generate images with visioncraftd from a prompt in
-- the buffer and insert links to them. Neovim 0.7+.

local client_module = require('visioncraft.client')

local M = {}

local levels = vim.log.levels

local function default_formats()
  return {
    markdown = function(path, prompt)
      local alt = prompt:gsub('([%[%]\\])', '\\%1')
      if path:find('[%s()<>]') then
        path = '<' .. path .. '>'
      end
      return '![' .. alt .. '](' .. path .. ')'
    end,
    org = function(path)
      return '[[file:' .. path .. ']]'
    end,
    asciidoc = function(path, prompt)
      return 'image::' .. path .. '[' .. prompt:gsub('%]', '\\]') .. ']'
    end,
  }
end

local defaults = {
  socket = nil, -- else $VISIONCRAFT_SOCKET, $XDG_RUNTIME_DIR/..., /tmp/visioncraft-<uid>/...
  progress = true, -- vim.notify on every change of a job started here
  params = {}, -- extra job.submit params for every job (e.g. { labels = { 'nvim' } })
  formats = nil, -- filetype -> function(path, prompt) or 'template {path} {prompt}'
  default_format = 'markdown', -- the format for filetypes not in formats
  reconnect = true,
}

local config = vim.deepcopy(defaults)
config.formats = default_formats()

local state = {
  client = nil,
  jobs = {}, -- id -> job record (jobs started from this editor)
  order = {}, -- ids, oldest first
  early = {}, -- id -> last job.updated params seen before the submit's reply
  early_count = 0,
  namespace = vim.api.nvim_create_namespace('visioncraft'),
}

local option_names = {
  model = 'model',
  n = 'image_count',
  count = 'image_count',
  sampler = 'sampler',
  steps = 'steps',
  cfg = 'cfg_scale',
  negative = 'negative_prompt',
  priority = 'priority',
  label = 'labels',
}
local numeric = { image_count = true, steps = true, cfg_scale = true, priority = true }

local function notify(message, level)
  vim.notify('visioncraft: ' .. message, level or levels.INFO, { title = 'VisionCraft' })
end

--- An RPC error as one line: its message and data.reason.
local function describe(err)
  if type(err) ~= 'table' then
    return tostring(err)
  end
  local text = tostring(err.message or 'unknown error')
  local reason = err.data and err.data.reason
  if reason == 'disconnected' then
    return text .. '. Is visioncraftd running? (`vcctl daemon start` starts it)'
  end
  if reason and reason ~= '' then
    text = text .. ' (' .. reason .. ')'
  end
  return text
end
M.describe_error = describe

local function redraw()
  pcall(vim.cmd, 'redrawstatus!')
end

--- Merges opts into the configuration. Every key is optional.
function M.setup(opts)
  opts = opts or {}
  local formats = vim.tbl_extend('force', default_formats(), opts.formats or {})
  config = vim.tbl_deep_extend('force', vim.deepcopy(defaults), opts)
  config.formats = formats
  if state.client and state.client.socket ~= client_module.socket_path(config.socket) then
    state.client:close()
    state.client = nil
  end
  require('visioncraft.commands').define()
end

function M.config()
  return config
end

--- Splits command arguments into words; a value may be quoted after '='
--- (negative="blurry, dark").
function M.tokenize(text)
  local words = {}
  local i, n = 1, #text
  while i <= n do
    local s = text:find('%S', i)
    if not s then
      break
    end
    local word = ''
    local j = s
    while j <= n and not text:sub(j, j):match('%s') do
      local c = text:sub(j, j)
      if (c == '"' or c == "'") and word:match('^[%a_][%w_]*=$') then
        local close = text:find(c, j + 1, true)
        if close then
          word = word .. text:sub(j + 1, close - 1)
          j = close + 1
        else
          word = word .. text:sub(j + 1)
          j = n + 1
        end
      else
        word = word .. c
        j = j + 1
      end
    end
    words[#words + 1] = word
    i = j
  end
  return words
end

--- Parses ':VisionCraft' arguments: key=value words are job options, the
--- rest is the prompt. Returns params (without the prompt), the prompt
--- ('' when none), or nil and an error message.
function M.parse_arguments(text)
  local params = {}
  local prompt = {}
  for _, word in ipairs(M.tokenize(text or '')) do
    local key, value = word:match('^([%a_][%w_]*)=(.*)$')
    if key then
      local name = option_names[key]
      if not name then
        return nil, 'unknown option ' .. key .. '= (model, n, sampler, steps, cfg, negative, priority, label)'
      end
      if numeric[name] then
        local number = tonumber(value)
        if not number then
          return nil, key .. '= expects a number, got "' .. value .. '"'
        end
        value = number
      end
      if name == 'labels' then
        params.labels = params.labels or {}
        table.insert(params.labels, value)
      else
        params[name] = value
      end
    else
      prompt[#prompt + 1] = word
    end
  end
  return params, table.concat(prompt, ' ')
end

-- The connection, made on first use.
function M.client()
  if not state.client then
    state.client = client_module.new({ socket = config.socket, reconnect = config.reconnect })
    state.client:on('job.updated', function(params)
      M._on_update(params)
    end)
    state.client:on('events.dropped', function()
      M._resync()
    end)
    state.client:on_connection(function(event, count)
      if event == 'connected' and count > 1 then
        M._resync() -- events were missed while the daemon was away
      end
      redraw()
    end)
  end
  return state.client
end

local function format_for(buffer)
  local filetype = vim.api.nvim_buf_get_option(buffer, 'filetype')
  if filetype == '' then
    local name = vim.api.nvim_buf_get_name(buffer)
    local extension = name:match('%.(%w+)$') or ''
    filetype = ({ org = 'org', adoc = 'asciidoc', asciidoc = 'asciidoc', md = 'markdown', markdown = 'markdown' })[extension] or ''
  end
  return config.formats[filetype] or config.formats[config.default_format] or default_formats().markdown
end

local function render(format, path, prompt)
  if type(format) == 'function' then
    return format(path, prompt)
  end
  return (tostring(format):gsub('{(%a+)}', function(name)
    if name == 'path' then
      return path
    elseif name == 'prompt' then
      return prompt
    end
  end))
end

local function finished(job_state)
  return job_state == 'succeeded' or job_state == 'failed' or job_state == 'cancelled'
end

local function short(text)
  text = text:gsub('%s+', ' ')
  if #text > 40 then
    return text:sub(1, 37) .. '...'
  end
  return text
end

-- Inserts one link per saved image below the line the command ran on.
local function insert_links(record, job)
  local paths = {}
  local images = vim.deepcopy(job.images or {})
  table.sort(images, function(a, b)
    return (a.index or 0) < (b.index or 0)
  end)
  for _, image in ipairs(images) do
    if image.path and image.path ~= '' then
      paths[#paths + 1] = image.path
    end
  end
  if #paths == 0 then
    notify('job ' .. record.id .. ' succeeded without saved images', levels.WARN)
    return
  end
  local buffer = record.buffer
  if not (vim.api.nvim_buf_is_valid(buffer) and vim.api.nvim_buf_is_loaded(buffer))
    or not vim.api.nvim_buf_get_option(buffer, 'modifiable') then
    notify('images ready (the buffer is gone):\n' .. table.concat(paths, '\n'))
    return
  end
  local format = format_for(buffer)
  local links = {}
  for _, path in ipairs(paths) do
    local link = render(format, path, record.prompt)
    for _, line in ipairs(vim.split(link, '\n', { plain = true })) do
      links[#links + 1] = line
    end
  end
  local row = record.row
  local ok, mark = pcall(vim.api.nvim_buf_get_extmark_by_id, buffer, state.namespace, record.mark, {})
  if ok and mark and mark[1] then
    row = mark[1]
  end
  row = math.min(row, vim.api.nvim_buf_line_count(buffer) - 1)
  vim.api.nvim_buf_set_lines(buffer, row + 1, row + 1, false, links)
  pcall(vim.api.nvim_buf_del_extmark, buffer, state.namespace, record.mark)
  notify(('%d image%s inserted: %s'):format(#paths, #paths == 1 and '' or 's', short(record.prompt)))
end

-- A tracked job reached an end state: fetch its images or report why.
local function conclude(record, update)
  if record.concluded then
    return
  end
  record.concluded = true
  redraw()
  if update.state == 'failed' then
    local message = update.error and update.error.message or 'no reason given'
    notify('job ' .. record.id .. ' failed: ' .. message, levels.ERROR)
  elseif update.state == 'cancelled' then
    notify('job ' .. record.id .. ' cancelled', levels.WARN)
  elseif update.images then
    insert_links(record, update)
  else
    M.client():request('job.get', { id = record.id }, function(err, job)
      if err then
        notify('job ' .. record.id .. ' succeeded but job.get failed: ' .. describe(err), levels.ERROR)
      else
        insert_links(record, job)
      end
    end)
  end
end

-- Applies a job.updated notification (or a job from job.get).
function M._on_update(update)
  local id = update.id
  if not id then
    return
  end
  local record = state.jobs[id]
  if not record then
    -- Perhaps a job whose job.submit reply has not arrived yet.
    if state.early_count > 200 then
      state.early, state.early_count = {}, 0
    end
    if not state.early[id] then
      state.early_count = state.early_count + 1
    end
    state.early[id] = update
    return
  end
  if record.concluded then
    return
  end
  local changed = record.state ~= update.state or record.images_done ~= update.images_done
  record.state = update.state
  record.images_done = update.images_done or record.images_done
  record.image_count = update.image_count or record.image_count
  record.error = update.error
  if finished(update.state) then
    conclude(record, update)
    return
  end
  if changed then
    redraw()
    if config.progress then
      local text = ('%s %d/%d: %s'):format(record.state, record.images_done or 0, record.image_count or 0, short(record.prompt))
      if record.state == 'queued' and update.error and update.error.message then
        text = text .. ' (waiting: ' .. update.error.message .. ')'
      end
      notify(text)
    end
  end
end

-- Asks for the state of every unfinished job (after missed events).
function M._resync()
  for _, id in ipairs(state.order) do
    local record = state.jobs[id]
    if record and not record.concluded then
      M.client():request('job.get', { id = id }, function(err, job)
        if err then
          if err.data and err.data.reason == 'job_not_found' then
            record.concluded = true
            notify('job ' .. id .. ' is gone from the daemon', levels.WARN)
          end
          return
        end
        M._on_update(job)
      end)
    end
  end
end

-- The prompt from a range: whole lines, or the characters of a charwise
-- visual selection when the range is that selection's.
local function prompt_from_range(buffer, line1, line2)
  local lines = vim.api.nvim_buf_get_lines(buffer, line1 - 1, line2, false)
  local start = vim.api.nvim_buf_get_mark(buffer, '<')
  local finish = vim.api.nvim_buf_get_mark(buffer, '>')
  if vim.fn.visualmode() == 'v' and start[1] == line1 and finish[1] == line2 and #lines > 0 then
    local last = lines[#lines]
    local stop = math.min(finish[2] + 1, #last)
    -- Include a whole multibyte character at the end.
    while stop < #last and last:byte(stop + 1) >= 0x80 and last:byte(stop + 1) < 0xC0 do
      stop = stop + 1
    end
    lines[#lines] = last:sub(1, stop)
    lines[1] = lines[1]:sub(start[2] + 1)
  end
  return table.concat(lines, ' ')
end

--- :VisionCraft. command: the table a user command receives (args, range,
--- line1, line2).
function M.generate(command)
  command = command or {}
  local params, prompt = M.parse_arguments(command.args or '')
  if not params then
    notify(prompt, levels.ERROR)
    return
  end
  local buffer = vim.api.nvim_get_current_buf()
  local row -- 0-based row below which the links go
  if prompt == '' then
    if command.range and command.range > 0 then
      prompt = prompt_from_range(buffer, command.line1, command.line2)
      row = command.line2 - 1
    else
      prompt = vim.api.nvim_get_current_line()
    end
  end
  if not row then
    row = (command.range and command.range > 0) and (command.line2 - 1) or (vim.api.nvim_win_get_cursor(0)[1] - 1)
  end
  prompt = vim.trim(prompt:gsub('%s+', ' '))
  if prompt == '' then
    notify('no prompt: give one, select it, or run the command on a line with text', levels.ERROR)
    return
  end
  local submit = vim.tbl_extend('force', vim.deepcopy(config.params or {}), params)
  submit.prompt = prompt
  local mark = vim.api.nvim_buf_set_extmark(buffer, state.namespace, row, 0, {})
  M.client():request('job.submit', submit, function(err, result)
    if err then
      pcall(vim.api.nvim_buf_del_extmark, buffer, state.namespace, mark)
      notify('cannot submit: ' .. describe(err), levels.ERROR)
      return
    end
    for index, id in ipairs(result.ids or { result.id }) do
      local record = {
        id = id,
        prompt = prompt,
        buffer = buffer,
        row = row,
        mark = mark,
        state = result.state,
        images_done = 0,
        image_count = submit.image_count or 1,
      }
      if index > 1 then
        -- A prompt plugin expanded the request: each job gets a mark.
        record.mark = vim.api.nvim_buf_set_extmark(buffer, state.namespace, row, 0, {})
      end
      state.jobs[id] = record
      table.insert(state.order, id)
      state.last_id = id
      if config.progress then
        notify(('queued %s (%s), position %d'):format(short(prompt), id, result.position or 0))
      end
      local early = state.early[id]
      if early then
        state.early[id] = nil
        state.early_count = state.early_count - 1
        M._on_update(early)
      end
    end
    redraw()
  end)
end

--- The last job started from this editor, or nil.
function M.last_job()
  return state.last_id and state.jobs[state.last_id] or nil
end

--- Jobs started from this editor: id -> { id, prompt, state, images_done,
--- image_count, concluded }.
function M.jobs()
  return state.jobs
end

--- For a statusline: the state of the jobs started here that are not
--- finished, or '' when none.
function M.statusline()
  local active = {}
  for _, id in ipairs(state.order) do
    local record = state.jobs[id]
    if record and not record.concluded then
      active[#active + 1] = record
    end
  end
  if #active == 0 then
    return ''
  end
  local first = active[1]
  local text = ('VC %s %d/%d'):format(first.state or 'queued', first.images_done or 0, first.image_count or 0)
  if #active > 1 then
    text = text .. (' +%d'):format(#active - 1)
  end
  if state.client and not state.client:is_connected() then
    text = text .. ' (disconnected)'
  end
  return text
end

--- :VisionCraftCancel [id]: the last job started here by default.
function M.cancel(id)
  if not id or id == '' then
    id = state.last_id
  end
  if not id then
    notify('no job to cancel: none was started from this editor', levels.ERROR)
    return
  end
  M.client():request('job.cancel', { id = id }, function(err, job)
    if err then
      notify('cannot cancel ' .. id .. ': ' .. describe(err), levels.ERROR)
      return
    end
    local record = state.jobs[id]
    if record then
      M._on_update(job)
    else
      notify('job ' .. id .. ' ' .. tostring(job.state))
    end
  end)
end

--- :VisionCraftStatus: daemon version, key state, jobs running and queued.
function M.status()
  local client = M.client()
  local answers, count = {}, 0
  local function done(name)
    return function(err, result)
      answers[name] = { err = err, result = result }
      count = count + 1
      if count < 4 then
        return
      end
      local status = answers.status
      if status.err then
        notify(describe(status.err), levels.ERROR)
        return
      end
      local daemon = status.result
      local lines = {
        ('visioncraftd %s (pid %s) on %s'):format(daemon.version, daemon.pid, daemon.socket or client.socket),
      }
      if daemon.upstream then
        lines[#lines + 1] = 'upstream: ' .. tostring(daemon.upstream.url) .. (daemon.upstream.emulator and ' (emulator)' or '')
      end
      local key = answers.key
      if key.err then
        lines[#lines + 1] = 'key: ' .. describe(key.err)
      else
        local text = 'key: ' .. key.result.state
        if key.result.source then
          text = text .. ' (from ' .. key.result.source .. ')'
        end
        if key.result.masked then
          text = text .. ' ' .. key.result.masked
        end
        if key.result.reason then
          text = text .. ': ' .. key.result.reason
        end
        lines[#lines + 1] = text
      end
      local function jobs(answer)
        if answer.err then
          return '?'
        end
        local n = #(answer.result.jobs or {})
        return answer.result.next and (n .. '+') or tostring(n)
      end
      lines[#lines + 1] = ('jobs: %s running, %s queued'):format(jobs(answers.running), jobs(answers.queued))
      local level = (not key.err and key.result.state ~= 'set') and levels.WARN or levels.INFO
      notify(table.concat(lines, '\n'), level)
    end
  end
  client:request('daemon.status', nil, done('status'))
  client:request('key.status', nil, done('key'))
  -- Only counted: summaries, not a thousand whole jobs.
  client:request('job.list', { state = 'running', limit = 1000, summary = true }, done('running'))
  client:request('job.list', { state = 'queued', limit = 1000, summary = true }, done('queued'))
end

return M
