/// Time columns as keyset cursors hold them: whole microseconds since 1970.
public enum SQLTime {
    /// `column` (a timestamptz) as whole microseconds since 1970, the value a time-ordered
    /// cursor holds.
    public static func micros(_ column: String) -> String {
        "(extract(epoch FROM \(column)) * 1000000)::bigint"
    }

    /// A timestamptz from bound microseconds since 1970, exactly (integer interval arithmetic).
    public static func fromMicros(_ parameter: String) -> String {
        "(timestamptz 'epoch' + \(parameter)::bigint * interval '1 microsecond')"
    }
}
