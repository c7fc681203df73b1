//! A pool of SVG elements updated in place, for the layers that hold
//! hundreds of moving things (messages in flight, space-time arrows).
//!
//! Why not one reactive closure per attribute: every such closure
//! subscribes to the same few signals, and the reactive graph's cost of
//! re-subscribing grows with the number of subscribers, so a few hundred
//! animated items cost more in bookkeeping than in drawing. Here one effect
//! per layer walks the pool and writes only the attributes whose text
//! changed. Each item keeps its own element (by key) while the list around
//! it changes, so a list that gains and loses items at both ends (arrows
//! scrolling past, messages delivered) costs writes only for the items that
//! are new or changed; elements of items that are gone leave the document
//! and are reused for new ones.

use std::collections::BTreeMap;
use wasm_bindgen::JsCast;
use web_sys::Element;

const SVG_NS: &str = "http://www.w3.org/2000/svg";

/// One pooled element and the attribute values last written to it.
struct Slot {
    root: Element,
    parts: Vec<Element>,
    cache: Vec<(usize, &'static str, String)>,
}

impl Slot {
    fn set(&mut self, part: usize, name: &'static str, value: &str) {
        let hit = self.cache.iter_mut().find(|(p, n, _)| *p == part && *n == name);
        match hit {
            Some((_, _, old)) if old == value => return,
            Some((_, _, old)) => {
                old.clear();
                old.push_str(value);
            }
            None => self.cache.push((part, name, value.to_string())),
        }
        let el = if part == 0 { &self.root } else { &self.parts[part - 1] };
        if name == "text" {
            el.set_text_content(Some(value));
        } else {
            let _ = el.set_attribute(name, value);
        }
    }
}

/// A pool of `<g>` elements under `parent`, each built from `template`
/// (inner SVG markup whose child elements become parts 1, 2, ...).
pub struct Pool {
    parent: Element,
    template: &'static str,
    slots: Vec<Slot>,
    /// The slot holding each key, and the slots holding none.
    by_key: BTreeMap<u64, usize>,
    free: Vec<usize>,
}

/// Writes to one pooled element: part 0 is the `<g>` itself, part *k* its
/// *k*-th child element; the name `text` sets text content.
pub struct Writer<'a> {
    slot: &'a mut Slot,
}

impl Writer<'_> {
    /// Sets an attribute (or the text, for `text`) if it changed.
    pub fn set(&mut self, part: usize, name: &'static str, value: &str) {
        self.slot.set(part, name, value);
    }
}

impl Pool {
    /// An empty pool drawing into `parent`.
    fn new(parent: Element, template: &'static str) -> Pool {
        Pool { parent, template, slots: Vec::new(), by_key: BTreeMap::new(), free: Vec::new() }
    }

    /// The pool in `slot` if it draws into `parent`, else a new one there
    /// (a view that is closed and opened again has a new parent).
    pub fn reuse<'a>(slot: &'a mut Option<Pool>, parent: Element, template: &'static str) -> &'a mut Pool {
        if slot.as_ref().is_some_and(|p| !p.parent.is_same_node(Some(&parent))) {
            *slot = None;
        }
        slot.get_or_insert_with(|| Pool::new(parent, template))
    }

    /// Appends a new element built from the template.
    fn grow(&mut self) -> Option<usize> {
        let doc = self.parent.owner_document()?;
        let g = doc.create_element_ns(Some(SVG_NS), "g").ok()?;
        g.set_inner_html(self.template);
        let kids = g.children();
        let parts = (0..kids.length()).filter_map(|k| kids.item(k)).collect();
        self.parent.append_child(&g).ok()?;
        self.slots.push(Slot { root: g, parts, cache: Vec::new() });
        Some(self.slots.len() - 1)
    }

    /// Shows one element per key and lets `write` fill the element of
    /// `keys[i]` with item `i`. An item keeps the element it had last time
    /// (with the attribute values already written to it); elements of keys
    /// that are gone leave the document (so queries and screen readers see
    /// exactly the items shown) and are reused for new keys.
    pub fn sync_keyed(&mut self, keys: &[u64], mut write: impl FnMut(usize, &mut Writer<'_>)) {
        let wanted: std::collections::BTreeSet<u64> = keys.iter().copied().collect();
        let gone: Vec<u64> = self.by_key.keys().filter(|k| !wanted.contains(k)).copied().collect();
        for k in gone {
            if let Some(i) = self.by_key.remove(&k) {
                self.slots[i].root.remove();
                self.free.push(i);
            }
        }
        for (i, key) in keys.iter().enumerate() {
            let slot = match self.by_key.get(key) {
                Some(&s) => s,
                None => {
                    let s = match self.free.pop() {
                        Some(s) => {
                            let _ = self.parent.append_child(&self.slots[s].root);
                            s
                        }
                        None => match self.grow() {
                            Some(s) => s,
                            None => return,
                        },
                    };
                    self.by_key.insert(*key, s);
                    s
                }
            };
            write(i, &mut Writer { slot: &mut self.slots[slot] });
        }
    }
}

/// The value of `attr` on the nearest element at or above the event's
/// target that has it (click delegation for pooled elements).
pub fn closest_attr(ev: &web_sys::Event, attr: &str) -> Option<String> {
    let target = ev.target()?.dyn_into::<Element>().ok()?;
    let el = target.closest(&format!("[{attr}]")).ok()??;
    el.get_attribute(attr)
}
