import Logging
import Testing
@testable import AuthService

/// Work dropped because the queue is full is counted and told, never lost in silence.
@Suite struct BackgroundWorkTests {
    @Test func aFullQueueDropsNewWorkAndCountsIt() {
        // Not running: nothing is taken off the queue.
        let work = BackgroundWork(capacity: 2, logger: Logger(label: "test"))
        let accepted = (0..<5).map { _ in work.submit {} }
        #expect(accepted == [true, true, false, false, false])
        #expect(work.droppedTotal == 3)
    }
}
