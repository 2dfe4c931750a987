//! Memory a job freed goes back to the system. glibc's allocator keeps what a finished
//! candidate freed (a forest's millions of nodes, its folds' training buffers) in its
//! arenas, where it still counts as the process's memory: on a 60 s california job the
//! process stayed at the peak of its largest forest for the rest of the job. `malloc_trim`
//! hands the free pages back. Elsewhere (musl, macOS) this is a no-op.

/// Return the pages the allocator holds free to the system.
pub fn release() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    // SAFETY: malloc_trim only walks the allocator's own free lists; it takes no pointer.
    unsafe {
        libc::malloc_trim(0);
    }
}

/// Releases on drop: declared first in a function, it runs after every other local of it
/// has been freed.
pub struct ReleaseOnDrop;

impl Drop for ReleaseOnDrop {
    fn drop(&mut self) {
        release();
    }
}
