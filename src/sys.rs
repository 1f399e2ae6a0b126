//! Thin wrappers over the OS calls both sides of a run make: the runner
//! reaping its workers, and a command's supervisor (in the worker)
//! reaping the command.

/// Reaps the child `pid`, with its rusage.
pub(crate) fn wait4(pid: libc::pid_t) -> std::io::Result<(libc::c_int, libc::rusage)> {
    let mut status = 0;
    // SAFETY: plain data filled in by wait4.
    let mut rusage: libc::rusage = unsafe { std::mem::zeroed() };
    loop {
        // SAFETY: pid is our unreaped child; the pointers are valid.
        let r = unsafe { libc::wait4(pid, &mut status, 0, &mut rusage) };
        if r == pid {
            return Ok((status, rusage));
        }
        let err = std::io::Error::last_os_error();
        if err.kind() != std::io::ErrorKind::Interrupted {
            return Err(err);
        }
    }
}

/// The signal's name as the C library spells it (`Segmentation fault`).
pub(crate) fn describe_signal(signal: libc::c_int) -> String {
    // SAFETY: strsignal returns a pointer to a static or thread-local string.
    let name = unsafe { libc::strsignal(signal) };
    if name.is_null() {
        return format!("signal {signal}");
    }
    // SAFETY: a NUL-terminated string from libc.
    unsafe { std::ffi::CStr::from_ptr(name) }
        .to_string_lossy()
        .into_owned()
}
