-- VisionCraft: images from visioncraftd, linked into the buffer.
-- Commands only; the client loads on first use. See :help visioncraft.
if vim.g.loaded_visioncraft or vim.fn.has('nvim-0.7') == 0 then
  return
end
vim.g.loaded_visioncraft = true
require('visioncraft.commands').define()
