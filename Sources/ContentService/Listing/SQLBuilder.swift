import PostgresNIO

/// Builds a query whose shape depends on the request (which filters, which order) while every
/// value stays a bound parameter. It also keeps each value as a SQL literal, so `inlined` is the
/// very statement for EXPLAIN and pgbench (`ContentService sql`).
struct SQLBuilder {
    private(set) var sql = ""
    private var binds = PostgresBindings()
    private var literals: [String] = []

    mutating func add(_ text: String) {
        sql += text
    }

    /// Binds `value` and returns its placeholder (`$3`), to use in a later `add`.
    mutating func bind(_ value: String) -> String {
        placeholder(value, literal: Self.quoted(value))
    }

    mutating func bind(_ value: Int) -> String {
        placeholder(value, literal: String(value))
    }

    mutating func bind(_ value: Int64) -> String {
        placeholder(value, literal: String(value))
    }

    mutating func bind(_ value: [String]) -> String {
        placeholder(value, literal: "ARRAY[" + value.map(Self.quoted).joined(separator: ",") + "]::text[]")
    }

    var query: PostgresQuery { PostgresQuery(unsafeSQL: sql, binds: binds) }

    /// The statement with its values written in, for tools; the service always binds.
    var inlined: String {
        var text = sql
        // From the last, so `$1` never eats the start of `$12`.
        for (index, literal) in literals.enumerated().reversed() {
            text = text.replacingOccurrences(of: "$\(index + 1)", with: literal)
        }
        return text
    }

    private mutating func placeholder<Value: PostgresDynamicTypeEncodable>(_ value: Value, literal: String) -> String {
        binds.append(value)
        literals.append(literal)
        return "$\(binds.count)"
    }

    private static func quoted(_ text: String) -> String {
        "'" + text.replacingOccurrences(of: "'", with: "''") + "'"
    }
}
