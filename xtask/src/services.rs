//! Services the CI tests need beside the build: a local PostgreSQL for the
//! server's PostgreSQL suite. A fresh machine gets it from Debian's packages;
//! a session's processes end before CI, so the cluster is started here.

use std::process::Command;

use anyhow::{Context, Result, bail};

use crate::cmd::{have, run};

/// Role and password the tests connect with (loopback only).
const ROLE: &str = "ferrule";

/// Makes sure a PostgreSQL cluster runs on 127.0.0.1 and returns the admin
/// URL the server tests use (`FERRULE_TEST_POSTGRES_URL`): each test run
/// creates and drops its own database through it.
pub(crate) fn postgres() -> Result<String> {
    if !have("pg_lsclusters") || postgres_bin_dir().is_none() {
        run("apt-get", &["update", "-qq"])?;
        run(
            "apt-get",
            &[
                "install",
                "-y",
                "-qq",
                "--no-install-recommends",
                "postgresql",
            ],
        )?;
    }
    let (version, cluster, port) = first_cluster()?;
    let status = Command::new("pg_ctlcluster")
        .args([&version, &cluster, "status"])
        .output()
        .context("could not run pg_ctlcluster")?;
    if !status.status.success() {
        run("pg_ctlcluster", &[&version, &cluster, "start"])?;
    }
    let sql = format!(
        "DO $$ BEGIN IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = '{ROLE}') \
         THEN CREATE ROLE {ROLE} LOGIN CREATEDB PASSWORD '{ROLE}'; END IF; END $$;"
    );
    as_postgres(&["psql", "-q", "-p", &port, "-d", "postgres", "-c", &sql])?;
    Ok(format!(
        "postgres://{ROLE}:{ROLE}@127.0.0.1:{port}/postgres"
    ))
}

/// The newest installed server's `bin` directory, if any.
fn postgres_bin_dir() -> Option<std::path::PathBuf> {
    let mut versions: Vec<_> = std::fs::read_dir("/usr/lib/postgresql")
        .ok()?
        .filter_map(Result::ok)
        .map(|e| e.path().join("bin"))
        .filter(|bin| bin.join("postgres").exists())
        .collect();
    versions.sort();
    versions.pop()
}

/// Version, name and port of the first cluster, creating one when none exists.
fn first_cluster() -> Result<(String, String, String)> {
    let listed = list_clusters()?;
    if let Some(found) = listed {
        return Ok(found);
    }
    let Some(bin) = postgres_bin_dir() else {
        bail!("PostgreSQL is installed but no server binary was found under /usr/lib/postgresql");
    };
    let version = bin
        .parent()
        .and_then(|p| p.file_name())
        .map(|v| v.to_string_lossy().into_owned())
        .unwrap_or_default();
    run("pg_createcluster", &[&version, "main"])?;
    list_clusters()?.context("pg_createcluster ran but pg_lsclusters lists no cluster")
}

fn list_clusters() -> Result<Option<(String, String, String)>> {
    let out = Command::new("pg_lsclusters")
        .arg("--no-header")
        .output()
        .context("could not run pg_lsclusters")?;
    let text = String::from_utf8_lossy(&out.stdout);
    Ok(text.lines().find_map(|line| {
        let mut cols = line.split_whitespace();
        let version = cols.next()?.to_owned();
        let cluster = cols.next()?.to_owned();
        let port = cols.next()?.to_owned();
        Some((version, cluster, port))
    }))
}

/// Runs a command as the `postgres` system user.
fn as_postgres(args: &[&str]) -> Result<()> {
    let mut full = vec!["-u", "postgres", "--"];
    full.extend_from_slice(args);
    if have("runuser") {
        run("runuser", &full)
    } else {
        let joined = args
            .iter()
            .map(|a| format!("'{}'", a.replace('\'', r"'\''")))
            .collect::<Vec<_>>()
            .join(" ");
        run("su", &["postgres", "-c", &joined])
    }
}
