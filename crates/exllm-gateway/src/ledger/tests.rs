use super::*;

fn temp(name: &str) -> PathBuf {
    let n = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_nanos();
    std::env::temp_dir().join(format!("exllm-ledger-{name}-{}-{n}.db", std::process::id()))
}

fn row(id: &str, cost: f64) -> SpendRow {
    SpendRow {
        time_ms: 1_000,
        key_id: Some("key_1".into()),
        model: "m".into(),
        deployment: "p/m".into(),
        cost_usd: cost,
        status: 200,
        row_id: id.into(),
        ..SpendRow::default()
    }
}

#[test]
fn rows_a_killed_process_left_in_its_journal_are_written_once_on_the_next_start() {
    let db = temp("journal");
    let journal = PathBuf::from(format!("{}.journal", db.display()));
    {
        let ledger = Ledger::open(&db).unwrap();
        ledger.record(row("a-1", 0.5));
        ledger.flush();
    }
    // As a kill leaves it: one row already written (a-1 again), one not, a cut last line.
    let mut text = String::new();
    for r in [row("a-1", 0.5), row("a-2", 0.25)] {
        text += &serde_json::to_string(&r).unwrap();
        text.push('\n');
    }
    text += "{\"time_ms\": 1";
    std::fs::write(&journal, text).unwrap();
    let ledger = Ledger::open(&db).unwrap();
    assert_eq!(ledger.spent_since("key_1", 0).unwrap(), 0.75);
    assert_eq!(std::fs::read_to_string(&journal).unwrap(), "");
    // A second process on the same journal is refused.
    assert!(Ledger::open(&db).is_err());
    ledger.record(row("", 0.125));
    ledger.flush();
    assert_eq!(ledger.spent_since("key_1", 0).unwrap(), 0.875);
    assert_eq!(std::fs::read_to_string(&journal).unwrap(), "");
}
