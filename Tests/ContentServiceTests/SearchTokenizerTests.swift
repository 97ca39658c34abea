import Testing
@testable import ContentService

@Suite struct SearchTokenizerTests {
    @Test func hangulRunsBecomeOverlappingBigramsAndTheirLastSyllable() {
        #expect(SearchTokenizer.documentTokens("검색엔진을") == ["검색", "색엔", "엔진", "진을", "을"])
        #expect(SearchTokenizer.documentTokens("책") == ["책"])
    }

    @Test func keywordsLookForBigramsOnlyAndALoneSyllableIsAPrefix() {
        #expect(SearchTokenizer.keywordTokens("검색") == ["검색"])
        #expect(SearchTokenizer.query("검색") == "'검색'")
        #expect(SearchTokenizer.query("엔진") == "'엔진'")
        #expect(SearchTokenizer.query("진") == "'진':*")
        #expect(SearchTokenizer.query("검색엔진") == "'검색' & '색엔' & '엔진'")
    }

    /// Every syllable of a document starts one of its tokens, so a one-syllable prefix finds it.
    @Test func everySyllableStartsADocumentToken() {
        let tokens = SearchTokenizer.documentTokens("데이터베이스 인덱스를")
        for syllable in "데이터베이스인덱스를" {
            #expect(tokens.contains { $0.hasPrefix(String(syllable)) }, "\(syllable)")
        }
    }

    @Test func otherScriptsStayWholeWordsInLowerCaseAfterNFKC() {
        #expect(SearchTokenizer.documentTokens("Swift 6 and PostgreSQL's GIN") == ["swift", "6", "and", "postgresql", "s", "gin"])
        // Full-width letters and digits are their ASCII selves after NFKC.
        #expect(SearchTokenizer.documentTokens("ＳＷＩＦＴ１２") == ["swift12"])
        #expect(SearchTokenizer.documentTokens("Redis캐시") == ["redis", "캐시", "시"])
    }

    @Test func punctuationAloneIsNothingToSearchFor() {
        #expect(SearchTokenizer.query("%_\\") == nil)
        #expect(SearchTokenizer.query("' OR 1=1 --") == "'or' & '1'")
    }

    @Test func repeatedKeywordTokensAreAskedOnce() {
        #expect(SearchTokenizer.query("swift swift") == "'swift'")
    }

    @Test func overlongWordsAreNotIndexed() {
        let long = String(repeating: "a", count: SearchTokenizer.maxWordScalars + 1)
        #expect(SearchTokenizer.documentTokens("short \(long) word") == ["short", "word"])
    }

    @Test func theVectorWeighsTheTitleAboveTheBodyWithPositions() {
        #expect(SearchTokenizer.vector(title: "번역", body: "swift 앱") == "'번역':1A '역':2A 'swift':3B '앱':4B")
    }
}
