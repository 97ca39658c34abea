import Testing
@testable import Shared

/// No password of a configured URL reaches a log or an error, whether or not the URL parses.
@Suite struct RedactedURLTests {
    @Test(arguments: [
        ("redis://:s3cret@cache:6379/0", "redis://:***@cache:6379/0"),
        ("postgres://app:s3cret@db:5432/app?sslmode=require", "postgres://app:***@db:5432/app?sslmode=require"),
        ("smtp://mailer:s3cret@smtp.example.com:587", "smtp://mailer:***@smtp.example.com:587"),
        ("redis://cache:6379", "redis://cache:6379"),
        ("redis://user@cache", "redis://user@cache"),
        ("redis://:p@ss:w0rd@cache:notaport", "redis://:***@cache:notaport"),
        ("not a url at all", "not a url at all"),
    ])
    func passwordsAreReplaced(url: String, shown: String) {
        #expect(RedactedURL.string(url) == shown)
    }

    @Test func aBadRedisURLIsReportedWithoutItsPassword() {
        for url in ["redis://:s3cret@cache:notaport", "rediss ://:s3cret@cache", "redis://:s3cret@cache/notadb"] {
            let error = #expect(throws: (any Error).self) { try RedisConfiguration(url: url) }
            #expect(error.map { "\($0)".contains("invalid URL") && !"\($0)".contains("s3cret") } == true, "\(String(describing: error))")
        }
    }
}
