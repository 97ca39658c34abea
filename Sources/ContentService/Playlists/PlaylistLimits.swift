import Foundation
import Shared

/// What a playlist may hold; every write goes through these.
struct PlaylistLimits: Sendable {
    var text = ItemText()
    var maxItems = 500
}
