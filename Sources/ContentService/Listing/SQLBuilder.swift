import PostgresNIO

/// Builds a query whose shape depends on the request (which filters, which order) while every
/// value stays a bound parameter.
struct SQLBuilder {
    private(set) var sql = ""
    private var binds = PostgresBindings()

    mutating func add(_ text: String) {
        sql += text
    }

    /// Binds `value` and returns its placeholder (`$3`), to use in a later `add`.
    mutating func bind<Value: PostgresDynamicTypeEncodable>(_ value: Value) -> String {
        binds.append(value)
        return "$\(binds.count)"
    }

    var query: PostgresQuery { PostgresQuery(unsafeSQL: sql, binds: binds) }
}
