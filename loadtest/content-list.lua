-- wrk: /api/posts in every shape (sorts, tag and author filters, pages 1 to 50), so most requests
-- miss the cache and read the database. content-bench.sh sets AUTHORS to a few author ids.
dofile("loadtest/content-report.lua")
local sorts = { "latest", "oldest", "likes" }
local tags = { "", "", "일상", "개발", "swift", "여행", "k-pop" }
local authors = {}
for id in string.gmatch(os.getenv("AUTHORS") or "", "[^,]+") do table.insert(authors, id) end
local i = 0
request = function()
  i = i + 1
  local path = "/api/posts?size=20&sort=" .. sorts[(i % #sorts) + 1] .. "&page=" .. ((i * 7) % 50 + 1)
  local tag = tags[(i % #tags) + 1]
  if tag ~= "" then path = path .. "&tag=" .. tag:gsub("[^%w-]", function(c) return string.format("%%%02X", string.byte(c)) end) end
  if #authors > 0 and i % 5 == 0 then path = path .. "&authorId=" .. authors[(i % #authors) + 1] end
  return wrk.format("GET", path)
end
