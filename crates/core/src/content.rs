//! Message content: what a message carries, one type per Cloud API message type.
//! (Being written; see the module spec in the task.)
