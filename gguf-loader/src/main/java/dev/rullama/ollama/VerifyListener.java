package dev.rullama.ollama;

/** Progress of a blob verification: bytes hashed so far out of the blob's size. Called from the verifying thread. */
@FunctionalInterface
public interface VerifyListener {
    VerifyListener NONE = (done, total) -> {};

    void progress(long bytesDone, long bytesTotal);
}
