//! One shared copy of each string that repeats: reasons and vault names recur across a
//! scope's resources, and a million-resource run would otherwise hold millions of copies.

use polars_core::prelude::PlHashSet;
use std::sync::Arc;

/// Hashed with ahash (randomly keyed per process, as std's SipHash is, but several times
/// faster on short strings): every reason of a scope is interned, millions at a million
/// resources.
#[derive(Default)]
pub struct Interner(PlHashSet<Arc<str>>);

impl Interner {
    pub fn intern(&mut self, s: String) -> Arc<str> {
        if let Some(a) = self.0.get(s.as_str()) {
            return a.clone();
        }
        let a: Arc<str> = s.into();
        self.0.insert(a.clone());
        a
    }

    pub fn intern_arc(&mut self, s: Arc<str>) -> Arc<str> {
        if let Some(a) = self.0.get(&*s) {
            return a.clone();
        }
        self.0.insert(s.clone());
        s
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn equal_strings_share_one_allocation() {
        let mut i = Interner::default();
        let a = i.intern("vault".to_owned());
        let b = i.intern_arc("vault".into());
        assert!(Arc::ptr_eq(&a, &b));
        assert!(!Arc::ptr_eq(&a, &i.intern("other".to_owned())));
    }
}
