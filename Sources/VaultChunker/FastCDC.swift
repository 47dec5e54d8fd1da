// The FastCDC chunker: see issue "Package skeleton, codecs … and the FastCDC chunker".
