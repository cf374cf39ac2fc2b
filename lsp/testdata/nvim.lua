-- Drives Neovim's built-in LSP client against `aiden lsp` (lsp/nvim_test.go).
-- Environment: AIDEN_BIN, AIDEN_ROOT, AIDEN_FILE, AIDEN_OUT, AIDEN_MODE
-- ("diagnostics", or "fix": apply the quick fix whose title has AIDEN_FIX).
local env = vim.env
local out = assert(io.open(env.AIDEN_OUT, "w"))
local function finish(result)
  out:write(vim.fn.json_encode(result))
  out:close()
  vim.cmd("qa!")
end
local function code(d)
  if d.code then return d.code end
  local lsp = d.user_data and d.user_data.lsp
  return lsp and lsp.code or ""
end
local function simple(ds)
  local r = {}
  for _, d in ipairs(ds) do
    table.insert(r, { line = d.lnum, col = d.col, end_line = d.end_lnum, end_col = d.end_col,
      severity = d.severity, code = code(d), message = d.message, source = d.source })
  end
  return r
end
local function has(rule)
  for _, d in ipairs(vim.diagnostic.get(0)) do
    if code(d) == rule then return d end
  end
end

vim.cmd("edit " .. vim.fn.fnameescape(env.AIDEN_FILE))
local id = vim.lsp.start_client({ name = "aiden", cmd = { env.AIDEN_BIN, "lsp" }, root_dir = env.AIDEN_ROOT })
vim.lsp.buf_attach_client(0, id)
local ok = vim.wait(120000, function() return has("schema") ~= nil or has("resources") ~= nil end, 100)
if not ok then return finish({ error = "no diagnostics" }) end

if env.AIDEN_MODE == "diagnostics" then
  return finish({ diagnostics = simple(vim.diagnostic.get(0)) })
end

-- Put the cursor on the finding and take the code action the user would.
local target = has("resources")
vim.api.nvim_win_set_cursor(0, { target.lnum + 1, target.col })
local titles = {}
vim.ui.select = function(items, opts, choose)
  for _, item in ipairs(items) do
    local action = item.action or item[2]
    table.insert(titles, action.title)
    if action.title:find(env.AIDEN_FIX, 1, true) then return choose(item) end
  end
  choose(nil)
end
vim.lsp.buf.code_action()
local edited = vim.wait(60000, function()
  return table.concat(vim.api.nvim_buf_get_lines(0, 0, -1, false), "\n"):find("limits:", 1, true) ~= nil
end, 100)
if not edited then return finish({ error = "the code action did not edit the buffer", titles = titles }) end
vim.cmd("write")
-- The server checks the saved file again: the finding is gone.
local gone = vim.wait(120000, function() return has("resources") == nil end, 100)
finish({ titles = titles, fixed = gone, diagnostics = simple(vim.diagnostic.get(0)) })
