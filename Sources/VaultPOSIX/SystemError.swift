// Thin, typed wrappers over the POSIX file API.
