import NIOCore
import NIOPosix

/// Runs Swift Concurrency's tasks on NIO's event loops instead of a separate cooperative pool.
///
/// An awaited query or Redis reply then resumes on the thread that read it, rather than being
/// handed to another thread and woken there: on a small machine that hop costs more CPU than the
/// query. The price is that nothing may block a task, which this codebase already guarantees
/// (bcrypt and libcurl run on thread pools, ffmpeg in a child process).
public enum EventLoopExecutor {
    /// Call first thing in `main`, once, before any task starts.
    public static func install() {
        _ = NIOSingletons.unsafeTryInstallSingletonPosixEventLoopGroupAsConcurrencyGlobalExecutor()
    }
}

/// Runs a task's jobs on one event loop: code that must act in the same event-loop turn as a
/// channel's state (a Postgres connection that may be closing) runs under this preference.
final class EventLoopTaskExecutor: TaskExecutor {
    let eventLoop: any EventLoop

    init(_ eventLoop: any EventLoop) { self.eventLoop = eventLoop }

    func enqueue(_ job: consuming ExecutorJob) {
        let job = UnownedJob(job)
        let executor = asUnownedTaskExecutor()
        eventLoop.execute { job.runSynchronously(on: executor) }
    }
}
