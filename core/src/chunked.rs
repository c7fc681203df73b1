//! A vector whose clones share storage until written: [`ChunkVec`].
//!
//! The engine keeps clones of the whole world as checkpoints. A replicated
//! log of 100,000 entries copied at every checkpoint would dominate memory,
//! so logs live in fixed-size chunks behind reference counts: a clone copies
//! only the chunk pointers, and a write copies only the chunk it touches.

use std::rc::Rc;

const CHUNK: usize = 256;

/// A growable vector with cheap clones (see the module docs).
#[derive(Clone, Debug)]
pub struct ChunkVec<T: Clone> {
    chunks: Vec<Rc<Vec<T>>>,
    len: usize,
}

impl<T: Clone> Default for ChunkVec<T> {
    fn default() -> Self {
        ChunkVec { chunks: Vec::new(), len: 0 }
    }
}

impl<T: Clone> ChunkVec<T> {
    /// An empty vector.
    pub fn new() -> Self {
        Self::default()
    }

    /// Number of elements.
    pub fn len(&self) -> usize {
        self.len
    }

    /// Whether there are no elements.
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// The element at `i` (zero-based).
    pub fn get(&self, i: usize) -> Option<&T> {
        if i >= self.len {
            return None;
        }
        self.chunks.get(i / CHUNK)?.get(i % CHUNK)
    }

    /// Appends an element, copying the last chunk only if it is shared.
    pub fn push(&mut self, v: T) {
        if self.len.is_multiple_of(CHUNK) {
            let mut chunk = Vec::with_capacity(CHUNK);
            chunk.push(v);
            self.chunks.push(Rc::new(chunk));
        } else if let Some(last) = self.chunks.last_mut() {
            Rc::make_mut(last).push(v);
        }
        self.len += 1;
    }

    /// Replaces the element at `i` (zero-based), copying its chunk only if
    /// it is shared. Out of range does nothing.
    pub fn set(&mut self, i: usize, v: T) {
        if i < self.len
            && let Some(chunk) = self.chunks.get_mut(i / CHUNK)
        {
            Rc::make_mut(chunk)[i % CHUNK] = v;
        }
    }

    /// Keeps the first `len` elements.
    pub fn truncate(&mut self, len: usize) {
        if len >= self.len {
            return;
        }
        let whole = len.div_ceil(CHUNK);
        self.chunks.truncate(whole);
        if !len.is_multiple_of(CHUNK)
            && let Some(last) = self.chunks.last_mut()
        {
            Rc::make_mut(last).truncate(len % CHUNK);
        }
        self.len = len;
    }

    /// Iterates over the elements from position `from`.
    pub fn iter_from(&self, from: usize) -> impl Iterator<Item = &T> + '_ {
        (from..self.len).filter_map(move |i| self.get(i))
    }

    /// Iterates over every element.
    pub fn iter(&self) -> impl Iterator<Item = &T> + '_ {
        self.iter_from(0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn clones_do_not_see_later_writes() {
        let mut a = ChunkVec::new();
        for i in 0..1000 {
            a.push(i);
        }
        let b = a.clone();
        a.truncate(300);
        a.push(-1);
        assert_eq!(b.len(), 1000);
        assert_eq!(b.get(300), Some(&300));
        assert_eq!(a.get(300), Some(&-1));
        assert_eq!(a.len(), 301);
        assert_eq!(b.iter().copied().sum::<i32>(), (0..1000).sum::<i32>());
    }

    #[test]
    fn set_writes_only_this_copy() {
        let mut a = ChunkVec::new();
        for i in 0..600 {
            a.push(i);
        }
        let b = a.clone();
        a.set(300, -1);
        a.set(600, -2);
        assert_eq!((a.get(300), b.get(300), a.len()), (Some(&-1), Some(&300), 600));
    }

    #[test]
    fn truncate_on_chunk_boundaries() {
        let mut a = ChunkVec::new();
        for i in 0..(CHUNK * 2) {
            a.push(i);
        }
        a.truncate(CHUNK);
        assert_eq!(a.len(), CHUNK);
        a.push(7);
        assert_eq!(a.get(CHUNK), Some(&7));
        a.truncate(0);
        assert!(a.is_empty());
        a.push(1);
        assert_eq!(a.get(0), Some(&1));
    }
}
