-- The user commands. Each loads the plugin's main module only when run.

local M = {}

local option_words = { 'model=', 'n=', 'sampler=', 'steps=', 'cfg=', 'negative=', 'priority=', 'label=' }

local function complete_options(lead)
  local word = lead:match('(%S*)$') or ''
  local matches = {}
  for _, option in ipairs(option_words) do
    if option:sub(1, #word) == word then
      matches[#matches + 1] = option
    end
  end
  return matches
end

local function complete_jobs(lead)
  local loaded = package.loaded['visioncraft']
  local ids = {}
  if loaded then
    for id, record in pairs(loaded.jobs()) do
      if not record.concluded and id:sub(1, #lead) == lead then
        ids[#ids + 1] = id
      end
    end
  end
  table.sort(ids)
  return ids
end

function M.define()
  if M.defined then
    return
  end
  M.defined = true
  vim.api.nvim_create_user_command('VisionCraft', function(command)
    require('visioncraft').generate(command)
  end, {
    nargs = '*',
    range = true,
    complete = complete_options,
    desc = 'Generate images from a prompt (argument, selection or line) and insert links below',
  })
  vim.api.nvim_create_user_command('VisionCraftStatus', function()
    require('visioncraft').status()
  end, { nargs = 0, desc = 'Show the daemon version, key state and jobs' })
  vim.api.nvim_create_user_command('VisionCraftCancel', function(command)
    require('visioncraft').cancel(command.args)
  end, { nargs = '?', complete = complete_jobs, desc = 'Cancel a job (the last one started here by default)' })
end

return M
