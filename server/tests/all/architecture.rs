//! The house plan's layering, checked on the source: no top-level module of the server reaches,
//! through `crate::` paths, a module that reaches back to it. A cycle means two modules cannot
//! be understood (or changed) one at a time; the test names the edges that make it.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

/// `from` → `to` → the files of `from` that name `to`.
type Edges = BTreeMap<String, BTreeMap<String, BTreeSet<String>>>;

fn rust_files(dir: &Path, found: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).expect("read source dir") {
        let path = entry.expect("dir entry").path();
        if path.is_dir() {
            rust_files(&path, found);
        } else if path.extension().is_some_and(|e| e == "rs") {
            found.push(path);
        }
    }
}

/// The code of a file without comment lines and without its unit tests (`#[cfg(test)] mod`,
/// which may reach anywhere).
fn code(text: &str) -> String {
    let text = match text.find("#[cfg(test)]\nmod ") {
        Some(at) => &text[..at],
        None => text,
    };
    text.lines()
        .filter(|line| !line.trim_start().starts_with("//"))
        .collect::<Vec<_>>()
        .join("\n")
}

/// `super::` paths that climb to the crate root, rewritten as `crate::` (a top-level file's
/// `super::db` is `crate::db`). `depth` is how deep the file's module is: 1 for `src/jobs.rs`
/// and `src/jobs/mod.rs`, 2 for `src/jobs/queue.rs`.
fn absolute(code: &str, depth: usize) -> String {
    code.replace(&"super::".repeat(depth), "crate::")
}

/// The top-level modules a piece of code names: `crate::db::…` and `crate::{db, jobs::…}`.
fn named_modules(code: &str) -> BTreeSet<String> {
    let ident = |s: &str| -> String {
        s.trim()
            .chars()
            .take_while(|c| c.is_alphanumeric() || *c == '_')
            .collect()
    };
    let mut names = BTreeSet::new();
    for (at, _) in code.match_indices("crate::") {
        let rest = &code[at + "crate::".len()..];
        if let Some(group) = rest.strip_prefix('{') {
            // The group runs to its matching brace.
            let mut open = 1;
            let end = group
                .char_indices()
                .find(|(_, c)| {
                    match c {
                        '{' => open += 1,
                        '}' => open -= 1,
                        _ => {}
                    }
                    open == 0
                })
                .map_or(group.len(), |(i, _)| i);
            let group = &group[..end];
            // Only the first segment of each path in the group is a top-level module.
            let mut depth = 0;
            let mut start = 0;
            for (i, c) in group.char_indices() {
                match c {
                    '{' => depth += 1,
                    '}' => depth -= 1,
                    ',' if depth == 0 => {
                        names.insert(ident(&group[start..i]));
                        start = i + 1;
                    }
                    _ => {}
                }
            }
            names.insert(ident(&group[start..]));
        } else {
            names.insert(ident(rest));
        }
    }
    names.retain(|n| !n.is_empty());
    names
}

fn edges(src: &Path) -> Edges {
    let mut files = Vec::new();
    rust_files(src, &mut files);
    let mut edges = Edges::new();
    for file in files {
        let relative = file.strip_prefix(src).expect("under src");
        let first = relative
            .components()
            .next()
            .expect("a component")
            .as_os_str()
            .to_string_lossy()
            .trim_end_matches(".rs")
            .to_owned();
        if first == "lib" || first == "main" {
            continue;
        }
        let text = std::fs::read_to_string(&file).expect("read source");
        let depth = relative.components().count()
            - usize::from(relative.file_name().is_some_and(|n| n == "mod.rs"));
        for to in named_modules(&absolute(&code(&text), depth)) {
            if to != first {
                edges
                    .entry(first.clone())
                    .or_default()
                    .entry(to)
                    .or_default()
                    .insert(relative.display().to_string());
            }
        }
    }
    edges
}

/// A cycle through `start`, if there is one (depth-first search for a path back).
fn cycle_through(edges: &Edges, start: &str) -> Option<Vec<String>> {
    fn walk(
        edges: &Edges,
        start: &str,
        at: &str,
        path: &mut Vec<String>,
        seen: &mut BTreeSet<String>,
    ) -> bool {
        for next in edges.get(at).into_iter().flat_map(|m| m.keys()) {
            if next == start {
                return true;
            }
            if seen.insert(next.clone()) {
                path.push(next.clone());
                if walk(edges, start, next, path, seen) {
                    return true;
                }
                path.pop();
            }
        }
        false
    }
    let mut path = vec![start.to_owned()];
    let mut seen = BTreeSet::new();
    walk(edges, start, start, &mut path, &mut seen).then_some(path)
}

#[test]
fn the_server_modules_import_each_other_without_cycles() {
    let src = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("src");
    let edges = edges(&src);
    assert!(
        edges.contains_key("services") && edges.contains_key("whatsapp"),
        "the source was not read: {edges:?}"
    );
    let mut cycles = Vec::new();
    for start in edges.keys() {
        if let Some(cycle) = cycle_through(&edges, start) {
            let steps: Vec<String> = cycle
                .iter()
                .zip(cycle.iter().skip(1).chain(std::iter::once(&cycle[0])))
                .map(|(from, to)| format!("{from} → {to} (in {:?})", edges[from][to]))
                .collect();
            cycles.push(steps.join("\n  "));
        }
    }
    assert!(
        cycles.is_empty(),
        "import cycles:\n  {}",
        cycles.join("\n\n  ")
    );
}

#[test]
fn the_check_finds_a_cycle_and_reads_grouped_imports() {
    assert_eq!(
        named_modules(&absolute(
            "use super::super::jobs::Queue; use super::Local;",
            2
        )),
        ["jobs"].map(str::to_owned).into()
    );
    assert_eq!(
        code("use crate::db;\n// crate::ai in a comment\n#[cfg(test)]\nmod tests { use crate::http; }"),
        "use crate::db;"
    );
    assert_eq!(
        named_modules("use crate::{db::{self, messages}, jobs::Queue};\nlet x = crate::ai::run();"),
        ["ai", "db", "jobs"].map(str::to_owned).into()
    );
    let mut edges = Edges::new();
    for (from, to) in [("db", "jobs"), ("jobs", "ai"), ("ai", "db"), ("http", "db")] {
        edges
            .entry(from.to_owned())
            .or_default()
            .entry(to.to_owned())
            .or_default()
            .insert(format!("{from}.rs"));
    }
    assert_eq!(
        cycle_through(&edges, "db"),
        Some(vec!["db".to_owned(), "jobs".to_owned(), "ai".to_owned()])
    );
    assert_eq!(cycle_through(&edges, "http"), None);
}
