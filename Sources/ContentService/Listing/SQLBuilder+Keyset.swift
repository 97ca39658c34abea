import Shared

extension SQLBuilder {
    /// The end of a newest-first listing read by keyset from `page` on: after the cursor's key
    /// when there is one, then the order and one row past the page. `time` and `id` name the
    /// columns (matching an index on them, descending), `idType` the id's SQL type.
    mutating func newestFirst(from page: PageRequest, time: String, id: String, idType: String) {
        if case .after(let key) = page.position {
            let (value, after) = (bind(key.value), bind(key.id))
            add(" AND (\(time), \(id)) < (\(SQLTime.fromMicros(value)), \(after)::\(idType))")
        }
        let limit = bind(page.limit)
        add(" ORDER BY \(time) DESC, \(id) DESC LIMIT \(limit)")
    }
}
