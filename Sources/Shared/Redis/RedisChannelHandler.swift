import CHiredis
import NIOCore

/// A command refused by a connection that is shutting down; it never reached the server.
struct RequestNotSent: Error {}

/// A batch of encoded commands and the one promise that awaits all their replies, in order.
struct RedisRequest {
    var bytes: ByteBuffer
    var count: Int
    var promise: EventLoopPromise<[RedisValue]>
    var timeout: TimeAmount
}

/// Writes encoded commands and matches replies to them in order. Replies are parsed by hiredis'
/// reader, fed with whatever bytes arrive; it keeps partial replies between reads.
///
/// Every request that reaches this handler is completed here, on the event loop. (One that never
/// reaches it, written to a channel already closed, is failed by `RedisConnection.send`.)
final class RedisChannelHandler: ChannelDuplexHandler {
    typealias InboundIn = ByteBuffer
    typealias OutboundIn = RedisRequest
    typealias OutboundOut = ByteBuffer

    private struct Pending {
        var promise: EventLoopPromise<[RedisValue]>
        var count: Int
        var deadline: NIODeadline
    }

    private var reader: UnsafeMutablePointer<redisReader>?
    private var pending = CircularBuffer<Pending>(initialCapacity: 64)
    /// Replies so far to the oldest pending request.
    private var replies: [RedisValue] = []
    private var timer: Scheduled<Void>?
    private var failure: RedisError?

    init() {
        reader = redisReaderCreate()
    }

    deinit {
        if let reader { redisReaderFree(reader) }
    }

    func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        let request = unwrapOutboundIn(data)
        if failure != nil {
            // Closing already: the command was never sent, so the client may safely send it elsewhere.
            request.promise.fail(RequestNotSent())
            promise?.fail(RequestNotSent())
            return
        }
        pending.append(Pending(promise: request.promise, count: request.count, deadline: .now() + request.timeout))
        if timer == nil { armTimer(context: context) }
        context.write(wrapOutboundOut(request.bytes), promise: promise)
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        guard let reader else { return }
        let bytes = unwrapInboundIn(data)
        let fed = bytes.withUnsafeReadableBytes { raw in
            redisReaderFeed(reader, raw.baseAddress?.assumingMemoryBound(to: CChar.self), raw.count)
        }
        guard fed == REDIS_OK else { return fail(context: context, with: .protocolError(readerError())) }
        while true {
            var reply: UnsafeMutableRawPointer?
            guard redisReaderGetReply(reader, &reply) == REDIS_OK else {
                return fail(context: context, with: .protocolError(readerError()))
            }
            guard let reply else { break }  // need more bytes
            let value = Self.convert(reply.assumingMemoryBound(to: redisReply.self))
            freeReplyObject(reply)
            guard let head = pending.first else {
                return fail(context: context, with: .protocolError("reply without a request"))
            }
            replies.append(value)
            if replies.count == head.count {
                pending.removeFirst()
                let done = replies
                replies = []
                head.promise.succeed(done)
            }
        }
    }

    func channelInactive(context: ChannelHandlerContext) {
        fail(context: context, with: failure ?? .connectionClosed)
        context.fireChannelInactive()
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        fail(context: context, with: .connectFailed("\(error)"))
    }

    /// Fails everything in flight and closes: after a timeout or a parse error the replies that
    /// follow can no longer be matched to their requests.
    private func fail(context: ChannelHandlerContext, with error: RedisError) {
        if failure == nil { failure = error }
        timer?.cancel()
        timer = nil
        while let next = pending.popFirst() { next.promise.fail(error) }
        if context.channel.isActive { context.close(promise: nil) }
    }

    /// One timer for the oldest request; replies arrive in order, so it is the first to expire.
    private func armTimer(context: ChannelHandlerContext) {
        guard let first = pending.first else { timer = nil; return }
        let loopBound = NIOLoopBound((self, context), eventLoop: context.eventLoop)
        timer = context.eventLoop.scheduleTask(deadline: first.deadline) {
            let (handler, context) = loopBound.value
            handler.timer = nil
            guard let oldest = handler.pending.first else { return }
            if oldest.deadline <= .now() {
                handler.fail(context: context, with: .timeout)
            } else {
                handler.armTimer(context: context)
            }
        }
    }

    private func readerError() -> String {
        guard let reader else { return "reader gone" }
        return withUnsafeBytes(of: reader.pointee.errstr) { raw in
            String(decoding: raw.prefix { $0 != 0 }, as: UTF8.self)
        }
    }

    static func convert(_ reply: UnsafeMutablePointer<redisReply>) -> RedisValue {
        let r = reply.pointee
        switch r.type {
        case REDIS_REPLY_STRING:
            return .bulkString(r.str.map { Array(UnsafeRawBufferPointer(start: $0, count: Int(r.len))) } ?? [])
        case REDIS_REPLY_STATUS:
            return .simpleString(r.str.map { String(decoding: UnsafeRawBufferPointer(start: $0, count: Int(r.len)), as: UTF8.self) } ?? "")
        case REDIS_REPLY_ERROR:
            return .error(r.str.map { String(decoding: UnsafeRawBufferPointer(start: $0, count: Int(r.len)), as: UTF8.self) } ?? "")
        case REDIS_REPLY_INTEGER:
            return .integer(Int(r.integer))
        case REDIS_REPLY_ARRAY:
            guard let elements = r.element else { return .array([]) }
            return .array((0..<Int(r.elements)).map { convert(elements[$0]!) })
        default:
            return .null
        }
    }
}
