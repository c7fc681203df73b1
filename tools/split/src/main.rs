//! `distlab-split`: moves the code of some protocols out of the page's
//! wasm into a second module the page fetches when it opens one of them
//! (`web/src/code.rs`), so the first load does not grow with every
//! protocol added. See ARCHITECTURE.md, "Code the first load leaves out".
//!
//! It runs on wasm-bindgen's output, before wasm-opt, while the name
//! section still says which function is whose. The page's wasm keeps
//! every function index: a moved function's body becomes either a
//! forwarder (`call_indirect` through a table slot the second module
//! fills when it is instantiated) or, if only moved code calls it,
//! `unreachable`. The second module imports the page's memories, tables
//! and globals, and the functions the moved code calls, by export names
//! this tool adds; its element segments also write the moved functions
//! over their original table slots, so a virtual call reaches them
//! directly once loaded. The page loads it before it runs moved code (the
//! `distlab_deferred:<label>` exports say what moved); a forwarder that
//! still finds its slot empty calls the page's loader (`--loader`), which
//! loads it synchronously, before it calls through the slot.

#![forbid(unsafe_code)]

use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write as _;
use std::ops::Range;
use std::path::PathBuf;
use std::process::ExitCode;
use wasm_encoder::reencode::{Reencode, RoundtripReencoder};
use wasm_encoder::{
    CodeSection, ConstExpr, ElementSection, Elements, EntityType, ExportKind, ExportSection, Function, FunctionSection,
    GlobalSection, GlobalType, ImportSection, Instruction, Module, RawSection, TableSection, TypeSection, ValType,
};
use wasmparser::{ExternalKind, Name, Operator, Parser, Payload, TypeRef};

/// The export naming the split (its value tags the second module's file).
const MARKER: &str = "distlab_deferred";
/// The import module name under which the second module sees the page.
const PRIMARY: &str = "p";

struct Args {
    input: PathBuf,
    primary: PathBuf,
    out_dir: PathBuf,
    /// (label, name substring): what to move, unless code staying in the
    /// page calls it directly (a body the compiler folded with one of its
    /// own). The labels are protocols.
    defer: Vec<(String, String)>,
    /// (label, name substring): what to move even when code staying in the
    /// page calls it directly (UI and loaders the page reaches only after
    /// it has loaded the second module for that label).
    defer_called: Vec<(String, String)>,
    /// Name substrings never moved (functions the page calls before it
    /// loads the second module).
    keep: Vec<String>,
    map: Option<PathBuf>,
    /// The page's export that loads the second module at once, called by a
    /// forwarder that finds its slot empty.
    loader: String,
}

fn usage() -> String {
    "usage: distlab-split IN.wasm --primary OUT.wasm --out-dir DIR --loader EXPORT --defer LABEL=SUBSTRING... \
     [--defer-called LABEL=SUBSTRING...] [--keep SUBSTRING...] [--map FILE]"
        .to_string()
}

fn parse_args() -> Result<Args, String> {
    let mut it = std::env::args().skip(1);
    let mut input = None;
    let (mut primary, mut out_dir, mut map, mut loader) = (None, None, None, None);
    let (mut defer, mut defer_called, mut keep) = (Vec::new(), Vec::new(), Vec::new());
    while let Some(a) = it.next() {
        let mut value = || it.next().ok_or_else(|| format!("{a} needs a value\n{}", usage()));
        match a.as_str() {
            "--primary" => primary = Some(PathBuf::from(value()?)),
            "--out-dir" => out_dir = Some(PathBuf::from(value()?)),
            "--map" => map = Some(PathBuf::from(value()?)),
            "--loader" => loader = Some(value()?),
            "--keep" => keep.push(value()?),
            "--defer" | "--defer-called" => {
                let v = value()?;
                let (p, s) = v.split_once('=').ok_or_else(|| format!("{a} {v}: expected LABEL=SUBSTRING"))?;
                let to = if a == "--defer" { &mut defer } else { &mut defer_called };
                to.push((p.to_string(), s.to_string()));
            }
            _ if a.starts_with("--") => return Err(format!("unknown option {a}\n{}", usage())),
            _ if input.is_none() => input = Some(PathBuf::from(a)),
            _ => return Err(format!("unexpected argument {a}\n{}", usage())),
        }
    }
    Ok(Args {
        input: input.ok_or_else(usage)?,
        primary: primary.ok_or_else(usage)?,
        out_dir: out_dir.ok_or_else(usage)?,
        defer,
        defer_called,
        keep,
        map,
        loader: loader.ok_or_else(usage)?,
    })
}

/// What the page's module holds, read once.
#[derive(Default)]
struct Input<'a> {
    /// Every section in order: (id, byte range of its contents), or a
    /// custom section as id 0.
    sections: Vec<(u8, Range<usize>)>,
    func_imports: u32,
    /// Type index of every function (imports first).
    func_types: Vec<u32>,
    /// (param count, result count) of every type index that is a function type.
    params: BTreeMap<u32, (u32, u32)>,
    memories: Vec<EntityType>,
    tables: Vec<EntityType>,
    globals: Vec<EntityType>,
    exports: Vec<(String, ExternalKind, u32)>,
    start: Option<u32>,
    /// Functions named in element segments or global initialisers, and
    /// where in table 0 (active, constant offset) each one sits.
    in_elements: BTreeSet<u32>,
    slots: BTreeMap<u32, Vec<u32>>,
    bodies: Vec<wasmparser::FunctionBody<'a>>,
    names: BTreeMap<u32, String>,
    /// Table 0's limits as declared (it must be defined here).
    table0: Option<wasmparser::TableType>,
}

fn read(bytes: &[u8]) -> Result<Input<'_>, String> {
    let mut m = Input::default();
    let rt = &mut RoundtripReencoder;
    let e = |e: wasmparser::BinaryReaderError| e.to_string();
    for payload in Parser::new(0).parse_all(bytes) {
        let payload = payload.map_err(e)?;
        if let Some((id, range)) = payload.as_section() {
            m.sections.push((id, range));
        }
        match payload {
            Payload::TypeSection(r) => {
                let mut index = 0;
                for group in r {
                    for sub in group.map_err(e)?.into_types() {
                        if let wasmparser::CompositeInnerType::Func(f) = &sub.composite_type.inner {
                            m.params.insert(index, (f.params().len() as u32, f.results().len() as u32));
                        }
                        index += 1;
                    }
                }
            }
            Payload::ImportSection(r) => {
                for imp in r {
                    let imp = imp.map_err(e)?;
                    match imp.ty {
                        TypeRef::Func(t) => {
                            m.func_types.push(t);
                            m.func_imports += 1;
                        }
                        TypeRef::Memory(t) => {
                            m.memories.push(EntityType::Memory(rt.memory_type(t).map_err(|e| e.to_string())?))
                        }
                        TypeRef::Table(t) => {
                            m.tables.push(EntityType::Table(rt.table_type(t).map_err(|e| e.to_string())?))
                        }
                        TypeRef::Global(t) => {
                            m.globals.push(EntityType::Global(rt.global_type(t).map_err(|e| e.to_string())?))
                        }
                        TypeRef::Tag(_) | TypeRef::FuncExact(_) => return Err("tags are not supported".into()),
                    }
                }
            }
            Payload::FunctionSection(r) => {
                for t in r {
                    m.func_types.push(t.map_err(e)?);
                }
            }
            Payload::TableSection(r) => {
                for t in r {
                    let t = t.map_err(e)?;
                    if m.tables.is_empty() {
                        m.table0 = Some(t.ty);
                    }
                    m.tables.push(EntityType::Table(rt.table_type(t.ty).map_err(|e| e.to_string())?));
                }
            }
            Payload::MemorySection(r) => {
                for t in r {
                    m.memories.push(EntityType::Memory(rt.memory_type(t.map_err(e)?).map_err(|e| e.to_string())?));
                }
            }
            Payload::GlobalSection(r) => {
                for g in r {
                    let g = g.map_err(e)?;
                    for op in g.init_expr.get_operators_reader() {
                        if let Operator::RefFunc { function_index } = op.map_err(e)? {
                            m.in_elements.insert(function_index);
                        }
                    }
                    m.globals.push(EntityType::Global(rt.global_type(g.ty).map_err(|e| e.to_string())?));
                }
            }
            Payload::ExportSection(r) => {
                for x in r {
                    let x = x.map_err(e)?;
                    m.exports.push((x.name.to_string(), x.kind, x.index));
                }
            }
            Payload::StartSection { func, .. } => m.start = Some(func),
            Payload::ElementSection(r) => {
                for el in r {
                    let el = el.map_err(e)?;
                    let offset = match &el.kind {
                        wasmparser::ElementKind::Active { table_index, offset_expr }
                            if table_index.unwrap_or(0) == 0 =>
                        {
                            // Only a plain constant (an extended-const sum is not read).
                            let mut ops = offset_expr.get_operators_reader();
                            match (ops.read().map_err(e)?, ops.read().map_err(e)?) {
                                (Operator::I32Const { value }, Operator::End) => Some(value as u32),
                                _ => None,
                            }
                        }
                        _ => None,
                    };
                    match el.items {
                        wasmparser::ElementItems::Functions(fs) => {
                            for (i, f) in fs.into_iter().enumerate() {
                                let f = f.map_err(e)?;
                                m.in_elements.insert(f);
                                if let Some(o) = offset {
                                    m.slots.entry(f).or_default().push(o + i as u32);
                                }
                            }
                        }
                        wasmparser::ElementItems::Expressions(_, exprs) => {
                            for x in exprs {
                                for op in x.map_err(e)?.get_operators_reader() {
                                    if let Operator::RefFunc { function_index } = op.map_err(e)? {
                                        m.in_elements.insert(function_index);
                                    }
                                }
                            }
                        }
                    }
                }
            }
            Payload::CodeSectionEntry(body) => m.bodies.push(body),
            Payload::CustomSection(c) => {
                if let wasmparser::KnownCustom::Name(r) = c.as_known() {
                    for n in r {
                        if let Ok(Name::Function(map)) = n {
                            for naming in map.into_iter().flatten() {
                                m.names.insert(naming.index, plain(naming.name));
                            }
                        }
                    }
                }
            }
            _ => {}
        }
    }
    if m.names.is_empty() {
        return Err("the module has no function names (split before wasm-opt strips them)".into());
    }
    Ok(m)
}

/// A symbol name without the crate disambiguators of v0 names
/// (`distlab_core[d9b2b354eda91e36]::lesson` reads `distlab_core::lesson`),
/// so patterns do not depend on the build.
fn plain(name: &str) -> String {
    let mut out = String::with_capacity(name.len());
    let mut rest = name;
    while let Some(i) = rest.find('[') {
        out.push_str(&rest[..i]);
        let tail = &rest[i + 1..];
        let hex = tail.bytes().take_while(u8::is_ascii_hexdigit).count();
        if hex >= 8 && tail.as_bytes().get(hex) == Some(&b']') {
            rest = &tail[hex + 1..];
        } else {
            out.push('[');
            rest = tail;
        }
    }
    out.push_str(rest);
    out
}

/// Functions a body refers to, and whether it uses an instruction the
/// second module could not carry (data or element segment indices).
fn refs(body: &wasmparser::FunctionBody<'_>) -> Result<(BTreeSet<u32>, Option<&'static str>), String> {
    let mut out = BTreeSet::new();
    let mut bad = None;
    let r = body.get_operators_reader().map_err(|e| e.to_string())?;
    for op in r {
        match op.map_err(|e| e.to_string())? {
            Operator::Call { function_index }
            | Operator::ReturnCall { function_index }
            | Operator::RefFunc { function_index } => {
                out.insert(function_index);
            }
            Operator::MemoryInit { .. } | Operator::DataDrop { .. } => bad = Some("a data segment index"),
            Operator::TableInit { .. } | Operator::ElemDrop { .. } => bad = Some("an element segment index"),
            _ => {}
        }
    }
    Ok((out, bad))
}

/// Maps function indices of the page's module to the second module's.
struct Remap<'a>(&'a BTreeMap<u32, u32>);

impl Reencode for Remap<'_> {
    type Error = String;
    fn function_index(&mut self, f: u32) -> Result<u32, wasm_encoder::reencode::Error<String>> {
        self.0
            .get(&f)
            .copied()
            .ok_or_else(|| wasm_encoder::reencode::Error::UserError(format!("function {f} has no import")))
    }
}

fn fnv(bytes: &[u8]) -> u32 {
    bytes.iter().fold(0x811c_9dc5_u32, |h, b| (h ^ u32::from(*b)).wrapping_mul(0x0100_0193))
}

fn split(a: &Args, bytes: &[u8]) -> Result<(Vec<u8>, Vec<u8>, String), String> {
    let m = read(bytes)?;
    let imports = m.func_imports;
    let defined = |f: u32| f >= imports && ((f - imports) as usize) < m.bodies.len();
    let body = |f: u32| &m.bodies[(f - imports) as usize];
    let name = |f: u32| m.names.get(&f).map_or("", String::as_str);

    // References between defined functions, and the ones the page itself
    // pins (exports, start, table entries).
    let mut callers: BTreeMap<u32, BTreeSet<u32>> = BTreeMap::new();
    let mut callees: BTreeMap<u32, BTreeSet<u32>> = BTreeMap::new();
    let mut unmovable = BTreeSet::new();
    for (i, b) in m.bodies.iter().enumerate() {
        let f = imports + i as u32;
        let (r, bad) = refs(b)?;
        if bad.is_some() {
            unmovable.insert(f);
        }
        for g in &r {
            callers.entry(*g).or_default().insert(f);
        }
        callees.insert(f, r);
    }
    let mut pinned: BTreeSet<u32> = m.in_elements.clone();
    pinned.extend(m.exports.iter().filter(|x| x.1 == ExternalKind::Func).map(|x| x.2));
    pinned.extend(m.start);

    let loader = m
        .exports
        .iter()
        .find(|x| x.0 == a.loader && x.1 == ExternalKind::Func)
        .map(|x| x.2)
        .ok_or_else(|| format!("the module exports no function {}", a.loader))?;
    if !defined(loader) || m.params.get(&m.func_types[loader as usize]) != Some(&(0, 0)) {
        return Err(format!("{} must be defined here and take and return nothing", a.loader));
    }
    // Kept: the loader, what --keep names, and everything they call (directly).
    let mut keep: BTreeSet<u32> = (imports..imports + m.bodies.len() as u32)
        .filter(|&f| f == loader || unmovable.contains(&f) || a.keep.iter().any(|k| name(f).contains(k.as_str())))
        .collect();
    let mut todo: Vec<u32> = keep.iter().copied().collect();
    while let Some(f) = todo.pop() {
        for &g in callees.get(&f).into_iter().flatten() {
            if defined(g) && keep.insert(g) {
                todo.push(g);
            }
        }
    }
    let kept = |f: u32| keep.contains(&f);
    // Whether code outside `moved` calls `f` directly.
    let outside = |f: u32, moved: &BTreeSet<u32>| callers.get(&f).is_some_and(|c| c.iter().any(|g| !moved.contains(g)));

    // What moves: functions named after a deferred label, then every
    // function only moved code refers to.
    let called = |f: u32| a.defer_called.iter().any(|(_, s)| name(f).contains(s.as_str()));
    let mut moved: BTreeSet<u32> = (imports..imports + m.bodies.len() as u32)
        .filter(|&f| !kept(f) && (called(f) || a.defer.iter().any(|(_, s)| name(f).contains(s.as_str()))))
        .collect();
    // The compiler folds identical functions into one, named after any of
    // them: a function named after a deferred protocol that code staying
    // here calls directly is such a shared body, and stays.
    loop {
        let shared: Vec<u32> = moved.iter().copied().filter(|&f| !called(f) && outside(f, &moved)).collect();
        if shared.is_empty() {
            break;
        }
        for f in shared {
            moved.remove(&f);
        }
    }
    let roots = moved.len();
    loop {
        let more: Vec<u32> = moved
            .iter()
            .flat_map(|f| callees[f].iter().copied())
            .filter(|&g| defined(g) && !moved.contains(&g) && !pinned.contains(&g) && !kept(g))
            .filter(|g| callers[g].iter().all(|c| moved.contains(c)))
            .collect();
        if more.is_empty() {
            break;
        }
        moved.extend(more);
    }
    if moved.is_empty() {
        return Err("nothing matched --defer".into());
    }

    // Moved functions the page still reaches get a forwarding slot.
    let reached: BTreeSet<u32> = moved.iter().copied().filter(|&f| pinned.contains(&f) || outside(f, &moved)).collect();
    let Some(t0) = m.table0 else { return Err("table 0 is imported or missing; expected wasm-ld's table".into()) };
    let base = u32::try_from(t0.initial).map_err(|_| "table 0 is too large")?;
    let slot: BTreeMap<u32, u32> = reached.iter().enumerate().map(|(i, &f)| (f, base + i as u32)).collect();

    // The second module: imports, then the moved functions.
    let needed: BTreeSet<u32> =
        moved.iter().flat_map(|f| callees[f].iter().copied()).filter(|g| !moved.contains(g)).collect();
    let mut remap = BTreeMap::new();
    let mut imp = ImportSection::new();
    // Memories and tables are imported without limits: wasm-opt may change
    // the page's declared sizes after the split, and any size satisfies
    // an import that asks for none (segments are bounds-checked anyway).
    for (i, t) in m.memories.iter().enumerate() {
        let EntityType::Memory(mut t) = *t else { continue };
        (t.minimum, t.maximum) = (0, None);
        imp.import(PRIMARY, &format!("@m{i}"), t);
    }
    for (i, t) in m.tables.iter().enumerate() {
        let EntityType::Table(mut t) = *t else { continue };
        (t.minimum, t.maximum) = (0, None);
        imp.import(PRIMARY, &format!("@t{i}"), t);
    }
    for (i, t) in m.globals.iter().enumerate() {
        imp.import(PRIMARY, &format!("@g{i}"), *t);
    }
    for (i, &g) in needed.iter().enumerate() {
        imp.import(PRIMARY, &format!("@{g}"), EntityType::Function(m.func_types[g as usize]));
        remap.insert(g, i as u32);
    }
    let first = needed.len() as u32;
    for (i, &f) in moved.iter().enumerate() {
        remap.insert(f, first + i as u32);
    }
    let mut types = None;
    let mut features = None;
    for (id, r) in &m.sections {
        if *id == 1 {
            types = Some(RawSection { id: 1, data: &bytes[r.clone()] });
        }
        if *id == 0 {
            // The features the compiler used, which wasm-opt reads.
            let c = wasmparser::CustomSectionReader::new(wasmparser::BinaryReader::new(&bytes[r.clone()], r.start))
                .map_err(|e| e.to_string())?;
            if c.name() == "target_features" {
                features = Some(wasm_encoder::CustomSection { name: c.name().into(), data: c.data().into() });
            }
        }
    }
    let mut funcs = FunctionSection::new();
    let mut code = CodeSection::new();
    let mut re = Remap(&remap);
    for &f in &moved {
        funcs.function(m.func_types[f as usize]);
        re.parse_function_body(&mut code, body(f).clone()).map_err(|e| format!("{}: {e}", name(f)))?;
    }
    let mut elems = ElementSection::new();
    let forwarded: Vec<u32> = reached.iter().map(|f| remap[f]).collect();
    if !forwarded.is_empty() {
        elems.active(None, &ConstExpr::i32_const(base as i32), Elements::Functions(forwarded.into()));
    }
    for &f in &reached {
        for &s in m.slots.get(&f).into_iter().flatten() {
            elems.active(None, &ConstExpr::i32_const(s as i32), Elements::Functions(vec![remap[&f]].into()));
        }
    }
    let mut second = Module::new();
    if let Some(t) = &types {
        second.section(t);
    } else {
        second.section(&TypeSection::new());
    }
    second.section(&imp).section(&funcs).section(&elems).section(&code);
    if let Some(f) = &features {
        second.section(f);
    }
    let second = second.finish();
    wasmparser::Validator::new_with_features(wasmparser::WasmFeatures::all())
        .validate_all(&second)
        .map_err(|e| format!("the second module does not validate: {e}"))?;
    let tag = fnv(&second);

    // The page's module: the same sections, with table 0 grown, the new
    // exports and marker, and the moved bodies replaced.
    let mut first_mod = Module::new();
    let globals = m.globals.len() as u32;
    let taken: BTreeSet<&str> = m.exports.iter().map(|x| x.0.as_str()).collect();
    let mut fresh = Vec::new();
    for i in 0..m.memories.len() {
        fresh.push((format!("@m{i}"), ExportKind::Memory, i as u32));
    }
    for i in 0..m.tables.len() {
        fresh.push((format!("@t{i}"), ExportKind::Table, i as u32));
    }
    for i in 0..globals {
        fresh.push((format!("@g{i}"), ExportKind::Global, i));
    }
    for &g in &needed {
        fresh.push((format!("@{g}"), ExportKind::Func, g));
    }
    fresh.push((MARKER.to_string(), ExportKind::Global, globals));
    let protocols: BTreeSet<&str> = a
        .defer
        .iter()
        .chain(&a.defer_called)
        .filter(|(_, s)| moved.iter().any(|&f| name(f).contains(s.as_str())))
        .map(|(p, _)| p.as_str())
        .collect();
    for p in &protocols {
        fresh.push((format!("{MARKER}:{p}"), ExportKind::Global, globals));
    }
    if let Some(x) = fresh.iter().find(|x| taken.contains(x.0.as_str())) {
        return Err(format!("export name {} is already taken", x.0));
    }
    let mut saw_globals = false;
    let mut saw_exports = false;
    for (id, r) in &m.sections {
        let raw = &bytes[r.clone()];
        match id {
            4 => {
                let mut ts = TableSection::new();
                let rdr = wasmparser::TableSectionReader::new(wasmparser::BinaryReader::new(raw, r.start))
                    .map_err(|e| e.to_string())?;
                for (i, t) in rdr.into_iter().enumerate() {
                    let t = t.map_err(|e| e.to_string())?;
                    let mut ty = RoundtripReencoder.table_type(t.ty).map_err(|e| e.to_string())?;
                    if i == 0 {
                        ty.minimum += reached.len() as u64;
                        ty.maximum = ty.maximum.map(|x| x.max(ty.minimum));
                    }
                    match t.init {
                        wasmparser::TableInit::RefNull => ts.table(ty),
                        wasmparser::TableInit::Expr(e) => {
                            ts.table_with_init(ty, &RoundtripReencoder.const_expr(e).map_err(|e| e.to_string())?)
                        }
                    };
                }
                first_mod.section(&ts);
            }
            6 => {
                let mut gs = GlobalSection::new();
                let rdr = wasmparser::GlobalSectionReader::new(wasmparser::BinaryReader::new(raw, r.start))
                    .map_err(|e| e.to_string())?;
                for g in rdr {
                    let g = g.map_err(|e| e.to_string())?;
                    gs.global(
                        RoundtripReencoder.global_type(g.ty).map_err(|e| e.to_string())?,
                        &RoundtripReencoder.const_expr(g.init_expr).map_err(|e| e.to_string())?,
                    );
                }
                gs.global(
                    GlobalType { val_type: ValType::I32, mutable: false, shared: false },
                    &ConstExpr::i32_const(tag as i32),
                );
                first_mod.section(&gs);
                saw_globals = true;
            }
            7 => {
                if !saw_globals {
                    return Err("the module has no global section to put the marker in".into());
                }
                let mut xs = ExportSection::new();
                for (n, k, i) in &m.exports {
                    xs.export(n, RoundtripReencoder.export_kind(*k).map_err(|e| e.to_string())?, *i);
                }
                for (n, k, i) in &fresh {
                    xs.export(n, *k, *i);
                }
                first_mod.section(&xs);
                saw_exports = true;
            }
            10 => {
                let mut cs = CodeSection::new();
                for (i, b) in m.bodies.iter().enumerate() {
                    let f = imports + i as u32;
                    if let Some(&s) = slot.get(&f) {
                        let ty = m.func_types[f as usize];
                        let mut stub = Function::new([]);
                        // An empty slot: the second module is not loaded
                        // yet, so load it now (the page's own loader).
                        stub.instruction(&Instruction::I32Const(s as i32))
                            .instruction(&Instruction::TableGet(0))
                            .instruction(&Instruction::RefIsNull)
                            .instruction(&Instruction::If(wasm_encoder::BlockType::Empty))
                            .instruction(&Instruction::Call(loader))
                            .instruction(&Instruction::End);
                        for p in 0..m.params[&ty].0 {
                            stub.instruction(&Instruction::LocalGet(p));
                        }
                        stub.instruction(&Instruction::I32Const(s as i32));
                        stub.instruction(&Instruction::CallIndirect { type_index: ty, table_index: 0 });
                        stub.instruction(&Instruction::End);
                        cs.function(&stub);
                    } else if moved.contains(&f) {
                        let mut stub = Function::new([]);
                        stub.instruction(&Instruction::Unreachable).instruction(&Instruction::End);
                        cs.function(&stub);
                    } else {
                        cs.raw(&bytes[b.range()]);
                    }
                }
                first_mod.section(&cs);
            }
            0 => {
                let rdr = wasmparser::CustomSectionReader::new(wasmparser::BinaryReader::new(raw, r.start))
                    .map_err(|e| e.to_string())?;
                first_mod.section(&wasm_encoder::CustomSection { name: rdr.name().into(), data: rdr.data().into() });
            }
            id => {
                first_mod.section(&RawSection { id: *id, data: raw });
            }
        }
    }
    if !saw_exports {
        return Err("the module has no export section".into());
    }
    let first_bytes = first_mod.finish();
    wasmparser::Validator::new_with_features(wasmparser::WasmFeatures::all())
        .validate_all(&first_bytes)
        .map_err(|e| format!("the page's module does not validate after the split: {e}"))?;

    let mut report = String::new();
    let _ = writeln!(
        report,
        "{} functions moved ({roots} by name, {} they alone use), {} still reached through a slot, {} imported back; labels: {}",
        moved.len(),
        moved.len() - roots,
        reached.len(),
        needed.len(),
        protocols.iter().copied().collect::<Vec<_>>().join(", ")
    );
    if let Some(path) = &a.map {
        let mut map = String::new();
        for f in imports..imports + m.bodies.len() as u32 {
            let at = if slot.contains_key(&f) {
                "moved, slot"
            } else if moved.contains(&f) {
                "moved"
            } else {
                "kept"
            };
            let _ = writeln!(map, "{f}\t{at}\t{}\t{}", body(f).range().len(), name(f));
        }
        std::fs::write(path, map).map_err(|e| format!("{}: {e}", path.display()))?;
    }
    Ok((first_bytes, second, format!("{report}deferred-{tag:08x}.wasm")))
}

fn main() -> ExitCode {
    let run = || -> Result<String, String> {
        let a = parse_args()?;
        let bytes = std::fs::read(&a.input).map_err(|e| format!("{}: {e}", a.input.display()))?;
        let (first, second, report) = split(&a, &bytes)?;
        let file = report.lines().last().unwrap_or_default().to_string();
        std::fs::write(&a.primary, first).map_err(|e| format!("{}: {e}", a.primary.display()))?;
        let out = a.out_dir.join(&file);
        std::fs::write(&out, second).map_err(|e| format!("{}: {e}", out.display()))?;
        Ok(report)
    };
    match run() {
        Ok(report) => {
            println!("{report}");
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("distlab-split: {e}");
            ExitCode::FAILURE
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use wasm_encoder::{MemoryType, NameMap, NameSection, TableType, ValType};

    /// A small page: `load` (the loader), `main` (stays), a protocol
    /// handler in table slot 1 that calls a helper only it uses, and a
    /// function named after the protocol that `main` calls directly (as a
    /// body the compiler folded would be).
    fn page() -> Vec<u8> {
        let mut m = Module::new();
        let mut types = TypeSection::new();
        types.ty().function([], []);
        types.ty().function([ValType::I32], [ValType::I32]);
        m.section(&types);
        let mut funcs = FunctionSection::new();
        for t in [0, 1, 1, 1, 1] {
            funcs.function(t);
        }
        m.section(&funcs);
        let mut tables = TableSection::new();
        tables.table(TableType {
            element_type: wasm_encoder::RefType::FUNCREF,
            minimum: 2,
            maximum: Some(2),
            table64: false,
            shared: false,
        });
        m.section(&tables);
        let mut mems = wasm_encoder::MemorySection::new();
        mems.memory(MemoryType { minimum: 1, maximum: None, memory64: false, shared: false, page_size_log2: None });
        m.section(&mems);
        let mut globals = GlobalSection::new();
        globals
            .global(GlobalType { val_type: ValType::I32, mutable: true, shared: false }, &ConstExpr::i32_const(1024));
        m.section(&globals);
        let mut exports = ExportSection::new();
        exports.export("load", ExportKind::Func, 0).export("main", ExportKind::Func, 1);
        m.section(&exports);
        let mut elems = ElementSection::new();
        elems.active(None, &ConstExpr::i32_const(1), Elements::Functions(vec![2].into()));
        m.section(&elems);
        let mut code = CodeSection::new();
        use Instruction::{Call, CallIndirect, End, GlobalGet, I32Add, I32Const, LocalGet};
        for body in [
            &[End][..],
            &[LocalGet(0), Call(4), I32Const(1), CallIndirect { type_index: 1, table_index: 0 }, End],
            &[LocalGet(0), Call(3), End],
            &[LocalGet(0), GlobalGet(0), I32Add, End],
            &[LocalGet(0), End],
        ] {
            let mut f = Function::new([]);
            for i in body {
                f.instruction(i);
            }
            code.function(&f);
        }
        m.section(&code);
        let mut names = NameMap::new();
        for (i, n) in [
            "page::load",
            "page[0123456789abcdef]::main",
            "distlab_core[0123456789abcdef]::protocols::toy::handler",
            "helper",
            "<alloc::RawVec<distlab_core[0123456789abcdef]::protocols::toy::Msg>>::grow_one",
        ]
        .iter()
        .enumerate()
        {
            names.append(i as u32, n);
        }
        let mut ns = NameSection::new();
        ns.functions(&names);
        m.section(&ns);
        m.finish()
    }

    fn args(defer: &[(&str, &str)]) -> Args {
        Args {
            input: PathBuf::new(),
            primary: PathBuf::new(),
            out_dir: PathBuf::new(),
            defer: defer.iter().map(|(a, b)| (a.to_string(), b.to_string())).collect(),
            defer_called: Vec::new(),
            keep: Vec::new(),
            map: None,
            loader: "load".into(),
        }
    }

    /// (exports, table 0's minimum, imports as (module, name), code bodies).
    type Shape = (Vec<String>, u64, Vec<(String, String)>, Vec<Vec<u8>>);

    fn shape(bytes: &[u8]) -> Shape {
        let (mut exports, mut min, mut imports, mut bodies) = (Vec::new(), 0, Vec::new(), Vec::new());
        for p in Parser::new(0).parse_all(bytes) {
            match p.unwrap() {
                Payload::ExportSection(r) => exports.extend(r.into_iter().map(|x| x.unwrap().name.to_string())),
                Payload::TableSection(r) => min = r.into_iter().next().unwrap().unwrap().ty.initial,
                Payload::ImportSection(r) => imports
                    .extend(r.into_iter().map(|i| i.unwrap()).map(|i| (i.module.to_string(), i.name.to_string()))),
                Payload::CodeSectionEntry(b) => bodies.push(bytes[b.range()].to_vec()),
                _ => {}
            }
        }
        (exports, min, imports, bodies)
    }

    #[test]
    fn moves_the_protocol_and_what_only_it_uses() {
        let (first, second, report) = split(&args(&[("toy", "::protocols::toy::")]), &page()).unwrap();
        assert!(report.starts_with("2 functions moved (1 by name, 1 they alone use), 1 still reached"), "{report}");
        let (exports, min, imports, bodies) = shape(&first);
        assert!(imports.is_empty());
        // One forwarding slot after the table's two.
        assert_eq!(min, 3);
        for x in ["load", "main", "@m0", "@t0", "@g0", "distlab_deferred", "distlab_deferred:toy"] {
            assert!(exports.iter().any(|e| e == x), "{x} not exported: {exports:?}");
        }
        // The handler forwards through slot 2; the helper only it used traps;
        // the folded body main calls stays whole.
        // No locals; slot 2 empty? call the loader (function 0); then the
        // argument and call_indirect (type 1, table 0) through slot 2.
        #[rustfmt::skip]
        let forwarder = [
            0x00, 0x41, 0x02, 0x25, 0x00, 0xd1, 0x04, 0x40, 0x10, 0x00, 0x0b,
            0x20, 0x00, 0x41, 0x02, 0x11, 0x01, 0x00, 0x0b,
        ];
        assert_eq!(bodies[2], forwarder);
        assert_eq!(bodies[3], [0, 0x00, 0x0b]);
        assert_eq!(bodies[4], page_body(4));
        let (exports2, _, imports2, bodies2) = shape(&second);
        assert!(exports2.is_empty());
        let names: Vec<&str> = imports2
            .iter()
            .map(|(m, n)| {
                assert_eq!(m, PRIMARY);
                n.as_str()
            })
            .collect();
        assert_eq!(names, ["@m0", "@t0", "@g0"]);
        assert_eq!(bodies2.len(), 2);
        // The handler (its function 0 there) fills its forwarding slot and
        // its own slot 1.
        assert_eq!(elements(&second), [(2, vec![0]), (1, vec![0])]);
        // The handler calls the helper, now its function 1.
        assert_eq!(bodies2[0], [0x00, 0x20, 0x00, 0x10, 0x01, 0x0b]);
        assert!(report.ends_with(&format!("deferred-{:08x}.wasm", fnv(&second))));
    }

    /// (offset, functions) of every active element segment of table 0.
    fn elements(bytes: &[u8]) -> Vec<(u32, Vec<u32>)> {
        let mut out = Vec::new();
        for p in Parser::new(0).parse_all(bytes) {
            if let Payload::ElementSection(r) = p.unwrap() {
                for el in r {
                    let el = el.unwrap();
                    let wasmparser::ElementKind::Active { offset_expr, .. } = el.kind else { panic!("not active") };
                    let Operator::I32Const { value } = offset_expr.get_operators_reader().read().unwrap() else {
                        panic!("not a constant offset")
                    };
                    let wasmparser::ElementItems::Functions(fs) = el.items else { panic!("not functions") };
                    out.push((value as u32, fs.into_iter().map(Result::unwrap).collect()));
                }
            }
        }
        out
    }

    fn page_body(i: usize) -> Vec<u8> {
        shape(&page()).3[i].clone()
    }

    #[test]
    fn refuses_what_it_cannot_split() {
        assert_eq!(split(&args(&[("toy", "::protocols::none::")]), &page()).unwrap_err(), "nothing matched --defer");
        let mut a = args(&[("toy", "::protocols::toy::")]);
        a.loader = "main".into();
        assert!(split(&a, &page()).unwrap_err().contains("take and return nothing"));
        a.loader = "nope".into();
        assert!(split(&a, &page()).unwrap_err().contains("exports no function nope"));
    }

    #[test]
    fn names_lose_crate_hashes_only() {
        assert_eq!(plain("distlab_core[d9b2b354eda91e36]::lesson::X<[u8]>"), "distlab_core::lesson::X<[u8]>");
        assert_eq!(plain("a[12]::b"), "a[12]::b");
    }
}
