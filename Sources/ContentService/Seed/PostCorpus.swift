import Foundation

/// A deterministic stream of made-up but plausible posts for load tests and benchmarks: mostly
/// Korean with particles, some English, some mixed; Zipf-distributed authors, tags, words and
/// likes; a few rare words, so rare keywords exist, and times spread over two years.
struct PostCorpus {
    struct Author {
        var id: UUID
        var nickname: String
    }

    struct GeneratedPost {
        var id: Int64
        var author: Int
        var title: String
        var body: String
        var tags: [String]
        var likes: Int
        var createdAt: Date
    }

    static let koreanNouns = """
        검색 번역 서버 데이터 개발 설계 음악 영화 여행 요리 사진 운동 건강 경제 주식 부동산 학교 공부 시험 회사 \
        회의 프로젝트 일정 계획 고양이 강아지 날씨 주말 카페 커피 맛집 서울 부산 제주 바다 산책 독서 소설 게임 \
        축구 야구 농구 드라마 노래 공연 전시 미술 역사 과학 수학 물리 화학 생물 인공지능 모델 학습 엔진 검색엔진 \
        번역기 데이터베이스 인덱스 쿼리 성능 속도 캐시 메모리 네트워크 보안 암호 인증 토큰 세션 사용자 관리자 \
        게시글 댓글 좋아요 구독 알림 메시지 채팅 동영상 재생 목록 업로드 다운로드 휴대폰 노트북 키보드 모니터 \
        가족 친구 부모님 아이 선생님 학생 직장 출근 퇴근 점심 저녁 아침 간식 과일 채소 김치 라면 비빔밥 떡볶이 \
        봄 여름 가을 겨울 하늘 구름 비 눈 바람 꽃 나무 공원 도서관 병원 약국 시장 마트 버스 지하철 기차 비행기
        """.split(separator: " ").map(String.init)
    static let particles = ["을", "를", "이", "가", "은", "는", "에서", "으로", "의", "에", "와", "과", "도", "만", ""]
    static let koreanVerbs = """
        했습니다 합니다 좋아요 싫어요 봤어요 갔어요 먹었어요 만들었습니다 배웠습니다 추천합니다 궁금합니다 \
        정리했습니다 공유합니다 시작했어요 끝났어요 기다려요 찾았어요 바꿨어요 고쳤습니다 확인했습니다
        """.split(separator: " ").map(String.init)
    static let englishWords = """
        search engine server database index query cache latency throughput swift postgres redis nginx docker \
        kubernetes deploy release build test debug profile memory network security token session user admin \
        music movie travel food coffee photo camera running health market stock city seoul busan weekend \
        review guide tips notes today tomorrow project meeting design pattern model learning translation \
        video playlist upload stream player mobile laptop keyboard monitor family friend school study exam
        """.split(separator: " ").map(String.init)
    static let tagPool = """
        일상 개발 여행 맛집 음악 영화 독서 운동 사진 공부 swift postgres redis backend frontend devops \
        search korean english review tips news question help career 주식 경제 게임 드라마 요리 커피 \
        고양이 강아지 날씨 서울 부산 제주 ai ml data security mobile web linux design music-theory \
        k-pop 야구 축구 농구 캠핑 등산 자전거 사진관 카페 디저트
        """.split(separator: " ").map(String.init)
    /// Words that appear in about one post in 100,000: the benchmark's rare keywords.
    static let rareWords = ["양자컴퓨터", "고고학자", "zeppelin", "천체망원경", "harpsichord"]

    private var random: SplitMix64
    let authors: [Author]
    private let authorWeights: ZipfTable
    private let nounWeights: ZipfTable
    private let wordWeights: ZipfTable
    private let tagWeights: ZipfTable
    private let start: Date
    private let step: TimeInterval

    init(seed: UInt64, authorCount: Int, postCount: Int, end: Date = Date()) {
        random = SplitMix64(seed: seed)
        var authors: [Author] = []
        for i in 0..<authorCount {
            authors.append(Author(id: random.uuid(), nickname: "user\(i)"))
        }
        self.authors = authors
        authorWeights = ZipfTable(count: authorCount, exponent: 0.9)
        nounWeights = ZipfTable(count: Self.koreanNouns.count, exponent: 1.0)
        wordWeights = ZipfTable(count: Self.englishWords.count, exponent: 1.0)
        tagWeights = ZipfTable(count: Self.tagPool.count, exponent: 1.1)
        let span: TimeInterval = 2 * 365 * 86_400
        start = end.addingTimeInterval(-span)
        step = span / Double(max(postCount, 1))
    }

    mutating func post(id: Int64) -> GeneratedPost {
        let language = random.next(100)  // <60 Korean, <90 English, else mixed
        let titleWords = 2 + random.next(7)
        let title = String(sentence(words: titleWords, language: language).prefix(200))
        // Body length: mostly a few sentences, some long.
        let sentences = 1 + random.next(4) + (random.next(10) == 0 ? random.next(40) : 0)
        var paragraphs: [String] = []
        var current: [String] = []
        for _ in 0..<sentences {
            current.append(sentence(words: 4 + random.next(10), language: language) + ".")
            if random.next(4) == 0 { paragraphs.append(current.joined(separator: " ")); current = [] }
        }
        if !current.isEmpty { paragraphs.append(current.joined(separator: " ")) }
        var body = paragraphs.joined(separator: "\n\n")
        if random.next(20_000) == 0 { body += " " + Self.rareWords[random.next(Self.rareWords.count)] }
        var tags: [String] = []
        for _ in 0..<random.next(5) {
            let tag = Self.tagPool[tagWeights.sample(&random)]
            if !tags.contains(tag) { tags.append(tag) }
        }
        // Likes: most posts a few, a long tail of popular ones.
        let roll = random.next(1000)
        let likes = roll < 500 ? random.next(3) : roll < 950 ? random.next(10) : roll < 998 ? random.next(100) : random.next(1000)
        let jitter = Double(random.next(1_000_000)) / 1_000_000 * step
        return GeneratedPost(id: id, author: authorWeights.sample(&random), title: title, body: body, tags: tags,
                             likes: likes, createdAt: start.addingTimeInterval(Double(id - 1) * step + jitter))
    }

    /// `count` distinct likers of a post, as indexes into `authors`.
    mutating func likers(_ count: Int) -> [Int] {
        var chosen = Set<Int>()
        while chosen.count < min(count, authors.count) { chosen.insert(random.next(authors.count)) }
        return Array(chosen)
    }

    private mutating func sentence(words: Int, language: Int) -> String {
        (0..<words).map { i -> String in
            let korean = language < 60 || (language >= 90 && random.next(2) == 0)
            if korean {
                if i == words - 1, random.next(2) == 0 { return Self.koreanVerbs[random.next(Self.koreanVerbs.count)] }
                return Self.koreanNouns[nounWeights.sample(&random)] + Self.particles[random.next(Self.particles.count)]
            }
            return Self.englishWords[wordWeights.sample(&random)]
        }.joined(separator: " ")
    }
}

/// A small, fast, seedable generator: the same seed gives the same corpus on every machine.
struct SplitMix64 {
    private var state: UInt64

    init(seed: UInt64) { state = seed }

    mutating func nextUInt64() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    /// Uniform in 0..<bound.
    mutating func next(_ bound: Int) -> Int {
        Int(nextUInt64() % UInt64(bound))
    }

    mutating func uuid() -> UUID {
        let a = nextUInt64(), b = nextUInt64()
        var bytes = withUnsafeBytes(of: a.bigEndian) { Array($0) } + withUnsafeBytes(of: b.bigEndian) { Array($0) }
        bytes[6] = (bytes[6] & 0x0F) | 0x40
        bytes[8] = (bytes[8] & 0x3F) | 0x80
        return UUID(uuid: (bytes[0], bytes[1], bytes[2], bytes[3], bytes[4], bytes[5], bytes[6], bytes[7],
                           bytes[8], bytes[9], bytes[10], bytes[11], bytes[12], bytes[13], bytes[14], bytes[15]))
    }
}

/// Samples ranks with probability proportional to 1 / rank^exponent.
struct ZipfTable {
    private let cumulative: [Double]

    init(count: Int, exponent: Double) {
        var total = 0.0
        var cumulative: [Double] = []
        cumulative.reserveCapacity(count)
        for rank in 1...max(count, 1) {
            total += 1 / pow(Double(rank), exponent)
            cumulative.append(total)
        }
        self.cumulative = cumulative.map { $0 / total }
    }

    func sample(_ random: inout SplitMix64) -> Int {
        let u = Double(random.nextUInt64() >> 11) / Double(1 << 53)
        var low = 0, high = cumulative.count - 1
        while low < high {
            let mid = (low + high) / 2
            if cumulative[mid] < u { low = mid + 1 } else { high = mid }
        }
        return low
    }
}
