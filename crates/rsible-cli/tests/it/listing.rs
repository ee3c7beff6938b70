//! `--list-hosts`, `--list-tasks`, `--list-tags`, `--syntax-check` for fixtures/render/lists.yml
//! (`-i inv2`), captured from ansible-playbook 2.19.14 as lists.<flag>.ansible.out.

use std::path::Path;

use rsible_cli::list::{format_listing, Listing, PlayHosts, PlayTasks};

use crate::support::{assert_same, fixture};

fn data() -> (Vec<Vec<String>>, Vec<PlayHosts>, Vec<PlayTasks>) {
    let s = |v: &[&str]| v.iter().map(|x| (*x).to_owned()).collect::<Vec<_>>();
    let play_tags = vec![s(&["ptag"]), vec![]];
    let hosts = vec![
        ("First".to_owned(), "all".to_owned(), s(&["h1", "h2"])),
        ("h1".to_owned(), "h1".to_owned(), s(&["h1"])),
    ];
    let tasks = vec![
        (
            "First".to_owned(),
            "all".to_owned(),
            vec![
                ("one".to_owned(), s(&["a", "b"])),
                ("command".to_owned(), vec![]),
            ],
        ),
        (
            "h1".to_owned(),
            "h1".to_owned(),
            vec![("two".to_owned(), vec![])],
        ),
    ];
    (play_tags, hosts, tasks)
}

fn check(listing: Listing, fixture_name: &str) {
    let (tags, hosts, tasks) = data();
    let hosts = if listing.hosts { hosts } else { Vec::new() };
    let tasks = if listing.tasks || listing.tags {
        tasks
    } else {
        Vec::new()
    };
    let text = format_listing(listing, Path::new("lists.yml"), &tags, &hosts, &tasks);
    assert_same(&text, &fixture(fixture_name));
}

#[test]
fn list_hosts() {
    check(
        Listing {
            hosts: true,
            ..Listing::default()
        },
        "lists.list-hosts.ansible.out",
    );
}

#[test]
fn list_tasks() {
    check(
        Listing {
            tasks: true,
            ..Listing::default()
        },
        "lists.list-tasks.ansible.out",
    );
}

#[test]
fn list_tags() {
    check(
        Listing {
            tags: true,
            ..Listing::default()
        },
        "lists.list-tags.ansible.out",
    );
}

#[test]
fn list_hosts_and_tasks() {
    check(
        Listing {
            hosts: true,
            tasks: true,
            ..Listing::default()
        },
        "lists.list-hosts-tasks.ansible.out",
    );
}

#[test]
fn syntax_check() {
    check(
        Listing {
            syntax: true,
            ..Listing::default()
        },
        "lists.syntax-check.ansible.out",
    );
}
