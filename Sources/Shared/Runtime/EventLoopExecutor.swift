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
