"""Use cases. They read and write through ports and return what to say; they never send."""
