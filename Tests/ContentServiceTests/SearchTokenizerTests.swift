import Foundation
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
        #expect(SearchTokenizer.query("swift swift", lastWordComplete: true) == "'swift'")
        // The word asked whole covers its prefix.
        #expect(SearchTokenizer.query("swift swift") == "'swift'")
        #expect(SearchTokenizer.query("redis swift redis") == "'redis' & 'swift'")
    }

    @Test func theLastLatinWordIsAPrefixWhileBeingTyped() {
        #expect(SearchTokenizer.query("redi") == "'redi':*")
        #expect(SearchTokenizer.query("SWI") == "'swi':*")
        #expect(SearchTokenizer.query("redis swi") == "'redis' & 'swi':*")
        #expect(SearchTokenizer.query("데이터 sw") == "'데이' & '이터' & 'sw':*")
        #expect(SearchTokenizer.query("데이터sw") == "'데이' & '이터' & 'sw':*")
        #expect(SearchTokenizer.query("ps5") == "'ps5':*")
        #expect(SearchTokenizer.query("20") == "'20':*")
        // Latin letters with marks, also typed decomposed (NFD) or full width.
        #expect(SearchTokenizer.query("café") == "'café':*")
        #expect(SearchTokenizer.query("cafe\u{301}") == "'café':*")
        #expect(SearchTokenizer.query("ＳＷ") == "'sw':*")
        #expect(SearchTokenizer.keywordTerms("redis sw") == [.init(token: "redis", isPrefix: false), .init(token: "sw", isPrefix: true)])
    }

    @Test func aCompleteOrShortLastWordIsAskedWhole() {
        // The caller saw a space after it, or something other than a letter or digit ends the keyword.
        #expect(SearchTokenizer.query("redis", lastWordComplete: true) == "'redis'")
        #expect(SearchTokenizer.query("redis.") == "'redis'")
        #expect(SearchTokenizer.query("c++") == "'c'")
        #expect(SearchTokenizer.query("redis 😀") == "'redis'")
        // One letter or digit would be every word that starts with it.
        #expect(SearchTokenizer.query("c") == "'c'")
        #expect(SearchTokenizer.query("redis c") == "'redis' & 'c'")
        #expect(SearchTokenizer.query("swift 6") == "'swift' & '6'")
    }

    @Test func hangulAndOtherScriptsKeepTheirMatching() {
        #expect(SearchTokenizer.query("검색") == "'검색'")
        #expect(SearchTokenizer.query("진") == "'진':*")
        #expect(SearchTokenizer.query("sw데이터") == "'sw' & '데이' & '이터'")
        #expect(SearchTokenizer.query("swift 진") == "'swift' & '진':*")
        #expect(SearchTokenizer.query("москва") == "'москва'")
        #expect(SearchTokenizer.query("東京") == "'東京'")
        // A Latin word with a letter of another script in it is not Latin.
        #expect(SearchTokenizer.query("swiftα") == "'swiftα'")
        // Decomposed Hangul (NFD jamo) composes first: the same bigrams.
        #expect(SearchTokenizer.query("데이터 sw".decomposedStringWithCanonicalMapping) == "'데이' & '이터' & 'sw':*")
    }

    @Test func anOverlongLastWordMakesNoEarlierWordAPrefix() {
        let long = String(repeating: "a", count: SearchTokenizer.maxWordScalars + 1)
        #expect(SearchTokenizer.query("redis \(long)") == "'redis'")
        let longest = String(repeating: "a", count: SearchTokenizer.maxWordScalars)
        #expect(SearchTokenizer.query("redis \(longest)") == "'redis' & '\(longest)':*")
        // A megabyte of one word: nothing to look for, quickly.
        #expect(SearchTokenizer.query(String(repeating: "x", count: 1 << 20)) == nil)
    }

    @Test func relevanceRanksTheTypedWordWholeToo() {
        #expect(SearchTokenizer.wholeWordQuery(SearchTokenizer.keywordTerms("데이터 sw")) == "'데이' & '이터' & 'sw'")
        #expect(SearchTokenizer.wholeWordQuery(SearchTokenizer.keywordTerms("redis")) == "'redis'")
        #expect(SearchTokenizer.wholeWordQuery(SearchTokenizer.keywordTerms("redis", lastWordComplete: true)) == nil)
        #expect(SearchTokenizer.wholeWordQuery(SearchTokenizer.keywordTerms("진")) == nil)
        #expect(SearchTokenizer.wholeWordQuery(SearchTokenizer.keywordTerms("검색")) == nil)
    }

    @Test func overlongWordsAreNotIndexed() {
        let long = String(repeating: "a", count: SearchTokenizer.maxWordScalars + 1)
        #expect(SearchTokenizer.documentTokens("short \(long) word") == ["short", "word"])
    }

    @Test func theVectorWeighsTheTitleAboveTheBodyWithPositions() {
        #expect(SearchTokenizer.vector(title: "번역", body: "swift 앱") == "'번역':1A '역':2A 'swift':3B '앱':4B")
    }
}
