-- wrk: /api/search over a mix of keywords: common and rare Korean ones, one syllable, English,
-- mixed, and keywords that match nothing; first pages, so hot keywords come from the cache.
dofile("loadtest/content-report.lua")
local keywords = { "검색", "번역", "서버", "데이터", "음악", "여행", "고양이", "커피", "진", "역", "search", "swift",
  "redis 캐시", "cache latency", "양자컴퓨터", "zeppelin", "천체망원경", "블록체인", "없는단어", "kafka", "우주선" }
local i = 0
request = function()
  i = i + 1
  local keyword = keywords[(i % #keywords) + 1]
  local escaped = keyword:gsub("[^%w]", function(c) return string.format("%%%02X", string.byte(c)) end)
  return wrk.format("GET", "/api/search?keyword=" .. escaped)
end
