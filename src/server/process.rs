//! The server process and its machine: the allocator's setting, a private work directory,
//! whether an address reaches beyond this machine, and the signals that stop the server.

/// Makes memory freed after a burst of large requests go back to the operating system.
///
/// glibc's malloc raises its mmap threshold each time a large block is freed (up to 32 MiB),
/// after which request bodies, decoded zips and payloads of that size come from the heap
/// arenas, and freeing them keeps the pages: a burst of large requests left hundreds of MiB
/// resident for good although the live heap was under 10 MiB. A fixed threshold keeps large
/// blocks in their own mappings, which are returned as soon as they are freed. glibc reads
/// the setting from the environment when the process starts, and setting it later needs
/// `unsafe` (mallopt), so `awsemu start` runs itself again, once, with it set: the same
/// process (exec keeps the pid and open descriptors), before any thread or socket exists.
pub fn return_large_blocks_to_the_system() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    {
        use std::os::unix::process::CommandExt;
        const MMAP: &str = "MALLOC_MMAP_THRESHOLD_";
        const THRESHOLD: &str = "131072";
        if std::env::var_os(MMAP).is_some() {
            return;
        }
        let Ok(exe) = std::env::current_exe() else {
            return;
        };
        let mut args = std::env::args_os();
        let arg0 = args.next().unwrap_or_else(|| exe.clone().into_os_string());
        let error = std::process::Command::new(exe)
            .arg0(arg0)
            .args(args)
            .env(MMAP, THRESHOLD)
            .env("MALLOC_TRIM_THRESHOLD_", THRESHOLD)
            .exec();
        // exec returns only when it failed; the server runs with glibc's defaults then.
        eprintln!("note: could not tune the allocator ({error}); carrying on without");
    }
}

/// A new directory under the system's temporary directory, private to this user (0700), with
/// a name no one can guess. It is always created here, never adopted: another local user who
/// made the directory first could otherwise swap the function runtime the emulator runs.
pub fn private_work_dir(prefix: &str) -> std::io::Result<std::path::PathBuf> {
    let mut builder = std::fs::DirBuilder::new();
    #[cfg(unix)]
    std::os::unix::fs::DirBuilderExt::mode(&mut builder, 0o700);
    loop {
        let name = format!("{prefix}-{}", uuid::Uuid::new_v4().simple());
        let dir = std::env::temp_dir().join(name);
        match builder.create(&dir) {
            Ok(()) => return Ok(dir),
            // 122 random bits: a clash is someone who guessed, so pick another name.
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {}
            Err(e) => return Err(e),
        }
    }
}

/// Whether `host` (an address or name to listen on) is reachable from this machine only.
pub(super) fn is_loopback_bind(host: &str) -> bool {
    let bare = host.trim_start_matches('[').trim_end_matches(']');
    match bare.parse::<std::net::IpAddr>() {
        Ok(ip) => ip.is_loopback(),
        Err(_) => bare.eq_ignore_ascii_case("localhost"),
    }
}

/// Resolves on SIGINT or SIGTERM.
pub async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {},
        () = term => {},
    }
}
