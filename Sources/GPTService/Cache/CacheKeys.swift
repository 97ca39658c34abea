import Crypto
import Foundation
import Shared

/// What a cache key holds, in one place: the normalisation version, the model, and a SHA-256 of
/// the question's normalised form (or, for a question that may not share an answer, of the very
/// text the upstream gets). Keys are short and bounded whatever the question's length,
/// a change of model or of the normalisation rules never finds an older answer, and no key holds
/// the question in clear.
struct CacheKeys: Sendable, Equatable {
    /// `GPT_KEY_PREFIX`: several deployments (or test runs) can share one Redis.
    let namespace: String
    let model: String
    /// SHA-256 of the normalised text, hex: names the answer.
    let digest: String
    /// SHA-256 of the lexical form, when the question has one.
    let lexicalDigest: String?

    /// `upstream` is the text sent to the model. A question that may share its answer is keyed by
    /// its normalised form; any other by exactly that text, so it meets only itself (in the cache,
    /// where it is never stored, and among the questions in flight).
    init(question: NormalizedQuestion, upstream: String, model: String, namespace: String) {
        self.namespace = namespace
        self.model = model
        if question.isShareable {
            digest = Self.sha256(question.text)
            lexicalDigest = LexicalForm(question).text.map(Self.sha256)
        } else {
            digest = Self.sha256("exact\u{0}" + upstream)
            lexicalDigest = nil
        }
    }

    private var prefix: String { Self.prefix(model: model, namespace: namespace) }
    static func prefix(model: String, namespace: String) -> String { "\(namespace):v\(NormalizedQuestion.version):\(model)" }

    /// The cached answer.
    var answer: String { Self.answer(digest: digest, model: model, namespace: namespace) }
    static func answer(digest: String, model: String, namespace: String) -> String { "\(prefix(model: model, namespace: namespace)):answer:\(digest)" }

    /// Points from the lexical form to the digest of the answer stored for it.
    var lexical: String? { lexicalDigest.map { "\(prefix):lexical:\($0)" } }

    /// Held by the one instance asking the upstream for this question right now.
    var lock: String { "\(prefix):lock:\(digest)" }

    /// Where that instance leaves the outcome for the followers on other instances, cacheable or not.
    var outcome: String { "\(prefix):outcome:\(digest)" }

    /// The semantic layer's vectors, digest → embedding, and the order they were added in.
    static func vectors(model: String, namespace: String) -> String { "\(prefix(model: model, namespace: namespace)):vectors" }
    static func vectorsAdded(model: String, namespace: String) -> String { "\(prefix(model: model, namespace: namespace)):vectors:added" }

    static func sha256(_ text: String) -> String {
        SHA256.hash(data: Data(text.utf8)).hexString
    }
}
