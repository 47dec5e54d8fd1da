extension Array where Element == UInt8 {
    /// Appends bytes written directly into the array's spare capacity, with
    /// no zero-filling and no intermediate buffer.
    ///
    /// - Parameters:
    ///   - maximumCount: How many bytes `body` may write.
    ///   - body: Writes into the start of the buffer it is given and returns
    ///     how many bytes it wrote (at most `maximumCount`). If it throws,
    ///     nothing is appended.
    @inline(__always)
    mutating func appendBytes<Failure: Error>(
        upTo maximumCount: Int,
        _ body: (UnsafeMutableRawBufferPointer) throws(Failure) -> Int
    ) throws(Failure) {
        try append(addingCapacity: maximumCount) { (span: inout OutputSpan<UInt8>) throws(Failure) in
            try span.withUnsafeMutableBufferPointer { (buffer, initializedCount) throws(Failure) in
                let written = try body(UnsafeMutableRawBufferPointer(buffer))
                precondition(written >= 0 && written <= buffer.count, "appendBytes body overran its buffer")
                initializedCount = written
            }
        }
    }
}
