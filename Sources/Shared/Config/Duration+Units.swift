extension Duration {
    /// Whole nanoseconds, for APIs that take an integer (NIO's TimeAmount, metrics).
    public var nanoseconds: Int64 {
        let (seconds, attoseconds) = components
        return seconds * 1_000_000_000 + attoseconds / 1_000_000_000
    }

    public var milliseconds: Int64 { nanoseconds / 1_000_000 }

    /// Fractional seconds, for SQL intervals and rates.
    public var seconds: Double {
        Double(components.seconds) + Double(components.attoseconds) / 1e18
    }

    /// Whole seconds, rounded up: what a `Retry-After` header says.
    public var wholeSecondsUp: Int { Int(seconds.rounded(.up)) }
}

extension Double {
    func rounded(toPlaces places: Int) -> Double {
        var factor = 1.0
        for _ in 0..<places { factor *= 10 }
        return (self * factor).rounded() / factor
    }
}
