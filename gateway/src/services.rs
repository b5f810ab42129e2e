//! Where the four domain services listen, and clients that call them with the caller's token.
