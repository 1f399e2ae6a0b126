//! The committed configs are documentation: each must parse, say what it
//! teaches and how long it takes, and every experiment must have one.

use std::path::Path;

fn configs() -> Vec<std::path::PathBuf> {
    let mut paths: Vec<_> =
        std::fs::read_dir(Path::new(env!("CARGO_MANIFEST_DIR")).join("configs"))
            .unwrap()
            .map(|e| e.unwrap().path())
            .filter(|p| p.extension().is_some_and(|e| e == "toml"))
            .collect();
    paths.sort();
    paths
}

#[test]
fn every_committed_config_is_valid_and_commented() {
    let paths = configs();
    assert!(paths.len() >= 11, "{paths:?}");
    for path in paths {
        let text = std::fs::read_to_string(&path).unwrap();
        let plan = tuner::config::parse(&path, &text, &tuner_experiments::catalog())
            .unwrap_or_else(|e| panic!("{e}"));
        assert!(
            !tuner::matrix::expand(&plan).is_empty(),
            "{}",
            path.display()
        );
        assert!(
            text.starts_with("# "),
            "{} opens with a comment saying what it teaches",
            path.display()
        );
        assert!(
            text.contains("Takes about"),
            "{} says how long it takes",
            path.display()
        );
        assert!(
            text.contains("cargo run --release -- run configs/"),
            "{} shows how to run it",
            path.display()
        );
    }
}

#[test]
fn every_seed_experiment_has_a_config() {
    let texts: Vec<String> = configs()
        .iter()
        .map(|p| std::fs::read_to_string(p).unwrap())
        .collect();
    for exp in tuner_experiments::catalog()
        .iter()
        .filter(|e| e.name() != "selfcheck")
    {
        let line = format!("workload = \"{}\"", exp.name());
        assert!(
            texts.iter().any(|t| t.contains(&line)),
            "no config runs `{}`",
            exp.name()
        );
    }
}
