//! Which secrets of a namespace may have a rotation to start: the names every change to a
//! secret with rotation enabled marks, so the scheduler looks at those and not at every secret.

use std::collections::HashMap;
use std::sync::Mutex;

/// Names marked since the scheduler last found them without rotation. The lock is a leaf:
/// nothing else is locked while it is held, so any lock may be held while taking it.
#[derive(Default)]
pub(super) struct Rotating {
    /// Each name with the mark it was last given; marks only grow.
    marks: Mutex<(u64, HashMap<String, u64>)>,
}

impl Rotating {
    fn lock(&self) -> std::sync::MutexGuard<'_, (u64, HashMap<String, u64>)> {
        self.marks
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// Marks `name`: its secret, as it is now, has rotation enabled.
    pub(super) fn mark(&self, name: &str) {
        let mut held = self.lock();
        held.0 += 1;
        let mark = held.0;
        match held.1.get_mut(name) {
            Some(m) => *m = mark,
            None => {
                held.1.insert(name.to_string(), mark);
            }
        }
    }

    /// Every marked name with its mark.
    pub(super) fn marked(&self) -> Vec<(String, u64)> {
        self.lock().1.iter().map(|(n, m)| (n.clone(), *m)).collect()
    }

    /// Forgets `name` unless it was marked again after `mark` was read: a change that enabled
    /// rotation meanwhile keeps its name.
    pub(super) fn forget(&self, name: &str, mark: u64) {
        let mut held = self.lock();
        if held.1.get(name) == Some(&mark) {
            held.1.remove(name);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_name_marked_again_is_not_forgotten() {
        let r = Rotating::default();
        r.mark("a");
        r.mark("b");
        let seen = r.marked();
        r.mark("a");
        for (name, mark) in seen {
            r.forget(&name, mark);
        }
        let left: Vec<String> = r.marked().into_iter().map(|(n, _)| n).collect();
        assert_eq!(left, ["a"]);
    }
}
