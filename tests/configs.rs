//! The committed configs are documentation: each must parse, say what it
//! teaches and how long it takes, and every experiment must have one.

mod common;

use std::path::Path;

fn configs() -> Vec<std::path::PathBuf> {
    common::committed_configs("configs")
}

#[test]
fn every_committed_config_is_valid_and_commented() {
    let paths = configs();
    assert!(paths.len() >= 11, "{paths:?}");
    for path in paths {
        let text = std::fs::read_to_string(&path).unwrap();
        let plan = tuner::__private::config::parse(&path, &text, &tuner_experiments::catalog())
            .unwrap_or_else(|e| panic!("{e}"));
        assert!(
            !tuner::__private::matrix::expand(&plan).is_empty(),
            "{}",
            path.display()
        );
        common::assert_documented(&path, &text, "configs");
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

/// The pairs of points a lesson compares in `points`: base and head as
/// [`tuner::Lesson::sides`] resolves them, equal on every other axis.
fn lesson_pairs<'p>(
    lesson: &tuner::Lesson,
    points: &'p [tuner::__private::matrix::Point],
) -> Vec<(
    &'p tuner::__private::matrix::Point,
    &'p tuner::__private::matrix::Point,
)> {
    tuner::__private::analysis::lesson_pairs(
        &tuner::__private::config::LessonInfo::from(lesson),
        points,
    )
}

#[test]
fn every_lesson_has_both_of_its_points_in_its_experiments_config() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("configs");
    let catalog = tuner_experiments::catalog();
    for exp in catalog.iter() {
        let path = dir.join(format!("{}.toml", exp.name()));
        let text = std::fs::read_to_string(&path).unwrap();
        let plan = tuner::__private::config::parse(&path, &text, &catalog)
            .unwrap_or_else(|e| panic!("{e}"));
        let points = tuner::__private::matrix::expand(&plan);
        for lesson in exp.lessons() {
            let pairs = lesson_pairs(lesson, &points);
            assert!(
                !pairs.is_empty(),
                "{}: no pair of points for \"{}\" ({:?})",
                path.display(),
                lesson.claim,
                lesson.sides()
            );
            // Each base point is judged once: at most one head per base.
            for (p, _) in &pairs {
                let heads = pairs.iter().filter(|(b, _)| b.id == p.id).count();
                assert_eq!(heads, 1, "{}: {}", path.display(), lesson.claim);
            }
        }
    }
}

#[test]
fn a_lesson_whose_head_is_excluded_has_no_pair() {
    let text = "[experiment]\nworkload = \"mergesort\"\n[params]\nvariant = [\"v1\", \"v2\"]\n\
                [matrix]\nthreads = [1, 2]\nallocator = [\"system\", \"jemalloc\"]\n\
                exclude = [{ variant = \"v1\", threads = 2, allocator = \"jemalloc\" }]\n";
    let plan =
        tuner::__private::config::parse(Path::new("t.toml"), text, &tuner_experiments::catalog())
            .unwrap();
    let points = tuner::__private::matrix::expand(&plan);
    let lesson = tuner::Lesson::new(
        "v1 gets slower with threads",
        &[("variant", "v1"), ("threads", "1")],
        &[("threads", "2")],
        tuner::Expect::Slower,
    );
    let pairs = lesson_pairs(&lesson, &points);
    // system has its pair; jemalloc's head point was excluded.
    assert_eq!(pairs.len(), 1);
    assert_eq!(pairs[0].0.coord("allocator"), Some("system"));
    assert_eq!(pairs[0].1.coord("threads"), Some("2"));
    assert_eq!(pairs[0].1.coord("variant"), Some("v1"));
}
