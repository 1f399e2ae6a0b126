//! Lazy initialization, the seed's sync.Once exercise: a program owns
//! `templates` page templates (minijinja, a real Jinja2 engine) but its
//! `calls` only render the first `used` of them, with a little data each.
//!
//! `per_call` parses the template on every call (the seed's `1.go`);
//! `eager` parses every template in `build` (`2.go`: fast calls, slow
//! start, pays for templates nobody uses); `once` parses each template on
//! its first use through a `std::sync::OnceLock` (`3.go`'s `sync.Once`).
//! The instrument reports "time to first use" (build + first run) beside
//! the steady-state cost, which is where `eager` and `once` differ.

use std::hash::Hasher;
use std::io;
use std::sync::OnceLock;

use minijinja::{context, Environment, Value};

use tuner_api::{Bench, Context, Digest, Expect, Lesson, Params, Workload};

const NOTES: &str =
    "Go (seed, measured elsewhere): 10000 calls, whole program under `time go run` \
(compilation included): parse per call 0.637 s, parse eagerly 0.365 s, sync.Once 0.380 s.\n\n\
The Rust twist: minijinja compiles a template to bytecode once and renders it quickly, so \
parsing per call is a large multiple of the render; `OnceLock::get` after initialization \
is one atomic load, so `once` and `eager` should match per call and differ only in the \
time to first use, where `eager` pays for every template and `once` for those used. \
(minijinja's own `set_loader` is the library's built-in lazy loader; a `OnceLock` keeps \
the lesson visible.)";

/// The `lazy-init` experiment: each variant is a [`Renderer`], which
/// refuses a point that uses more templates than it owns.
pub fn bench() -> Bench {
    let mut bench = Bench::new("lazy-init")
        .about("render templates: parse per call vs parse all eagerly vs parse once on first use (OnceLock)")
        .notes(NOTES)
        .lesson(Lesson::new(
            "loading a costly resource on every call is slow: load it once",
            &[("variant", "per_call")],
            &[("variant", "eager")],
            Expect::Faster,
        )
        .workshop(
            "sync.Once for Lazy Initialization",
            "In version 1, we are re-parsing the template each time, which is unnecessary.",
        ))
        .lesson(Lesson::new(
            "sync.Once loads lazily, on first use, and then costs no more than loading eagerly",
            &[("variant", "eager")],
            &[("variant", "once")],
            Expect::Tie,
        )
        .workshop(
            "sync.Once for Lazy Initialization",
            "You can see that in our very simple program, the difference is not much.",
        ));
    let calls = bench.param_in(
        "calls",
        100usize,
        1..=10_000_000,
        "template renders per operation",
    );
    let templates = bench.param_in(
        "templates",
        10usize,
        1..=1000,
        "distinct templates the program owns (eager parses them all)",
    );
    let used = bench.param_in(
        "used",
        2usize,
        1..=1000,
        "how many of the templates the calls render, in turn (at most `templates`)",
    );
    let renderer = move |way| {
        move |p: &Params, _: &Context| {
            Renderer::new(way, p.get(calls), p.get(templates), p.get(used))
        }
    };
    bench
        .variant_workload("per_call", renderer(Way::PerCall))
        .help("parse the template on every call, then render (the seed's 1.go)")
        .variant_workload("eager", renderer(Way::Eager))
        .help("parse every template when the workload is built (2.go)")
        .variant_workload("once", renderer(Way::Once))
        .help("parse each template on first use through a OnceLock (3.go, sync.Once)")
}

/// Conditional sections per template: each call renders one of them, but
/// every call that parses pays for all of them.
const SECTIONS: usize = 12;

const HEADER: &str = r#"<!doctype html>
<html><head><title>{{ title }} · page @K@</title></head>
<body><h1>Hello, {{ name }}!</h1>
"#;

const SECTION: &str = r#"{% if show == @S@ %}<section id="p@K@-s@S@">
  <h2>{{ title | upper }} (part @S@)</h2>
  {% for item in items %}<p class="{{ loop.cycle('odd', 'even') }}">{{ loop.index }}. {{ item.name | title }}: {{ item.qty }} x {{ item.price }} = {{ item.qty * item.price }}{% if item.tags %} [{{ item.tags | join(", ") }}]{% endif %}</p>
  {% else %}<p>nothing here</p>{% endfor %}
</section>{% endif %}
"#;

const FOOTER: &str = "<footer>page @K@ of {{ total }}</footer></body></html>\n";

/// Who is greeted, in turn (one needs HTML escaping).
const NAMES: &[&str] = &["Ada", "Tom & Jerry", "Grace", "Linus"];

/// The items every page lists: name, quantity, price, tags.
const ITEMS: &[(&str, i64, i64, &[&str])] = &[
    ("green tea", 2, 3, &["hot", "leaf"]),
    ("espresso", 1, 2, &["hot"]),
    ("lemonade", 3, 4, &[]),
];

/// The program's templates: names and sources, unparsed, and the plain
/// environment (builtin filters, no templates) that parsing starts from.
struct Pages {
    names: Vec<String>,
    sources: Vec<String>,
    base: Environment<'static>,
}

impl Pages {
    fn new(count: usize) -> Pages {
        Pages {
            names: (0..count).map(|k| format!("page{k:03}.html")).collect(),
            sources: (0..count).map(template_source).collect(),
            base: Environment::new(),
        }
    }

    /// An environment holding every template, all parsed now.
    fn parse_all(&self) -> Result<Environment<'static>, minijinja::Error> {
        let mut env = self.base.clone();
        for (name, source) in self.names.iter().zip(&self.sources) {
            env.add_template_owned(name.clone(), source.clone())?;
        }
        Ok(env)
    }

    /// An environment holding template `k` only, parsed now.
    fn parse_one(&self, k: usize) -> Result<Environment<'static>, minijinja::Error> {
        let mut env = self.base.clone();
        env.add_template_owned(self.names[k].clone(), self.sources[k].clone())?;
        Ok(env)
    }
}

/// The source of template `k`: a page with `SECTIONS` conditional sections.
pub fn template_source(k: usize) -> String {
    let page = k.to_string();
    let mut s = HEADER.replace("@K@", &page);
    for section in 0..SECTIONS {
        let section = SECTION.replace("@S@", &section.to_string());
        s.push_str(&section.replace("@K@", &page));
    }
    s.push_str(&FOOTER.replace("@K@", &page));
    s
}

/// The item list as a template value (cheap to clone: reference-counted).
fn items() -> Value {
    ITEMS
        .iter()
        .map(|(name, qty, price, tags)| {
            let tags: Value = tags.iter().copied().collect();
            context! { name => *name, qty => *qty, price => *price, tags => tags }
        })
        .collect()
}

/// When a variant parses its templates.
#[derive(Clone, Copy, Debug)]
enum Way {
    PerCall,
    Eager,
    Once,
}

/// Where a variant keeps its parsed templates.
enum Parsing {
    PerCall,
    Eager(Box<Environment<'static>>),
    Once(Vec<OnceLock<Environment<'static>>>),
}

struct Renderer {
    pages: Pages,
    parsing: Parsing,
    calls: usize,
    used: usize,
    items: Value,
    digest: u64,
}

impl Renderer {
    /// The workload that parses the `way` a variant says; `eager` parses
    /// every template here.
    fn new(way: Way, calls: usize, templates: usize, used: usize) -> Result<Renderer, String> {
        if used > templates {
            return Err(format!(
                "`used` ({used}) cannot exceed `templates` ({templates})"
            ));
        }
        let pages = Pages::new(templates);
        let parsing = match way {
            Way::PerCall => Parsing::PerCall,
            Way::Eager => Parsing::Eager(Box::new(pages.parse_all().map_err(|e| e.to_string())?)),
            Way::Once => Parsing::Once((0..templates).map(|_| OnceLock::new()).collect()),
        };
        Ok(Renderer {
            pages,
            parsing,
            calls,
            used,
            items: items(),
            digest: 0,
        })
    }

    /// Renders call `call`'s page the way the variant says.
    fn render(&self, call: usize) -> Result<String, minijinja::Error> {
        let k = call % self.used;
        let name = &self.pages.names[k];
        let data = context! {
            title => "Catalog",
            name => NAMES[call % NAMES.len()],
            show => call % SECTIONS,
            items => self.items.clone(),
            total => self.pages.names.len(),
        };
        match &self.parsing {
            Parsing::PerCall => {
                self.pages
                    .base
                    .render_named_str(name, &self.pages.sources[k], data)
            }
            Parsing::Eager(env) => env.get_template(name)?.render(data),
            Parsing::Once(cells) => once(&cells[k], || self.pages.parse_one(k))?
                .get_template(name)?
                .render(data),
        }
    }
}

/// The value in `cell`, initialized by `init` on first use. (`OnceLock`
/// has no stable fallible initializer, so a failure is left uninitialized
/// and returned.)
fn once<T>(
    cell: &OnceLock<T>,
    init: impl FnOnce() -> Result<T, minijinja::Error>,
) -> Result<&T, minijinja::Error> {
    if let Some(value) = cell.get() {
        return Ok(value);
    }
    let value = init()?;
    Ok(cell.get_or_init(|| value))
}

impl Workload for Renderer {
    fn run(&mut self) -> io::Result<()> {
        let mut d = Digest::default();
        for call in 0..self.calls {
            let page = self.render(call).map_err(io::Error::other)?;
            d.write(page.as_bytes());
        }
        self.digest = d.finish();
        Ok(())
    }

    fn output_digest(&mut self) -> io::Result<u64> {
        Ok(self.digest)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing;
    use tuner_api::{Buffering, Experiment, ParamValue, Params};

    fn exp() -> &'static dyn Experiment {
        testing::experiment("lazy-init")
    }

    fn params(calls: i64, templates: i64, used: i64) -> Params {
        testing::params(
            exp(),
            &[
                ("calls", ParamValue::Int(calls)),
                ("templates", ParamValue::Int(templates)),
                ("used", ParamValue::Int(used)),
            ],
        )
    }

    fn digest(p: &Params) -> u64 {
        testing::common_digest(exp(), p)
    }

    fn renderer(way: Way, calls: usize, templates: usize, used: usize) -> Renderer {
        Renderer::new(way, calls, templates, used).unwrap()
    }

    #[test]
    fn every_variant_renders_the_same_pages() {
        let all = digest(&params(30, 5, 3));
        assert_ne!(all, digest(&params(30, 5, 2)));
        assert_ne!(all, digest(&params(31, 5, 3)));
    }

    #[test]
    fn a_page_renders_the_chosen_section_with_escaped_data() {
        let r = renderer(Way::Eager, 1, 3, 3);
        let page = r.render(13).unwrap();
        assert!(page.contains("<title>Catalog · page 1</title>"), "{page}");
        assert!(page.contains("<h1>Hello, Tom &amp; Jerry!</h1>"), "{page}");
        assert!(page.contains(r#"<section id="p1-s1">"#), "{page}");
        assert_eq!(page.matches("<section").count(), 1, "{page}");
        assert!(page.contains(r#"<p class="odd">1. Green Tea: 2 x 3 = 6 [hot, leaf]</p>"#));
        assert!(page.contains(r#"<p class="odd">3. Lemonade: 3 x 4 = 12</p>"#));
        assert!(
            page.ends_with("<footer>page 1 of 3</footer></body></html>"),
            "{page}"
        );
    }

    #[test]
    fn once_parses_only_the_templates_used() {
        let mut r = renderer(Way::Once, 10, 8, 3);
        let Parsing::Once(cells) = &r.parsing else {
            unreachable!()
        };
        assert!(cells.iter().all(|c| c.get().is_none()));
        r.run().unwrap();
        let Parsing::Once(cells) = &r.parsing else {
            unreachable!()
        };
        let parsed: Vec<bool> = cells.iter().map(|c| c.get().is_some()).collect();
        assert_eq!(
            parsed,
            [true, true, true, false, false, false, false, false]
        );
    }

    #[test]
    fn eager_parses_every_template_when_built() {
        let eager = renderer(Way::Eager, 1, 4, 1);
        let Parsing::Eager(env) = &eager.parsing else {
            unreachable!()
        };
        let mut names: Vec<&str> = env.templates().map(|(name, _)| name).collect();
        names.sort();
        assert_eq!(
            names,
            [
                "page000.html",
                "page001.html",
                "page002.html",
                "page003.html"
            ]
        );
    }

    #[test]
    fn more_used_than_owned_templates_is_an_error() {
        let dir = tempfile::tempdir().unwrap();
        let ctx = testing::context(1, Buffering::Unbuffered, dir.path());
        let err = exp().build("once", &params(1, 2, 3), &ctx).err().unwrap();
        assert_eq!(err, "`used` (3) cannot exceed `templates` (2)");
    }
}
