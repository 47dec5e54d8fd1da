/// The objects of one kind, as a backend lists them: an asynchronous
/// sequence fetched a page at a time, whose iteration throws
/// ``StorageError``.
///
/// A backend makes one from a function that returns a fresh page source for
/// each iteration; the source returns the next page, or `nil` when the
/// listing is done.
package struct ObjectListing: AsyncSequence, Sendable {
    package typealias Element = ObjectInfo
    package typealias Failure = StorageError

    /// Returns the next page of a listing, or `nil` at its end.
    package typealias PageSource = () async throws(StorageError) -> [ObjectInfo]?

    private let makeSource: @Sendable () -> PageSource

    /// Creates a listing.
    ///
    /// - Parameter makeSource: Called once per iteration for a page source
    ///   that starts at the beginning.
    package init(_ makeSource: @escaping @Sendable () -> PageSource) {
        self.makeSource = makeSource
    }

    /// A listing of fixed objects (for backends that hold them in memory).
    package init(_ objects: [ObjectInfo]) {
        self.init {
            var pending: [ObjectInfo]? = objects
            return { () throws(StorageError) -> [ObjectInfo]? in
                defer { pending = nil }
                return pending
            }
        }
    }

    /// A fresh page source, for wrappers that work a page at a time.
    package func makePageSource() -> PageSource {
        makeSource()
    }

    package func makeAsyncIterator() -> AsyncIterator {
        AsyncIterator(source: makeSource())
    }

    /// Walks the pages, one object at a time.
    package struct AsyncIterator: AsyncIteratorProtocol {
        private let source: PageSource
        private var page: [ObjectInfo] = []
        private var index = 0
        private var finished = false

        init(source: @escaping PageSource) {
            self.source = source
        }

        package mutating func next() async throws(StorageError) -> ObjectInfo? {
            while index == page.count {
                guard !finished, let next = try await source() else {
                    finished = true
                    return nil
                }
                page = next
                index = 0
            }
            defer { index += 1 }
            return page[index]
        }
    }
}
