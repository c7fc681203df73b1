//! Every piece of UI text, in English and Simplified Chinese.
//!
//! Each language is one value of [`Strings`], so a missing translation is a
//! compile error rather than a blank label. Texts with a number in them
//! are a [`Tpl`] whose type says how many `{}` holes it has: a translation
//! with a hole too many or too few, or a call to [`fill`] with the wrong
//! number of values, does not compile. Protocol terms (role names, message
//! kinds, invariant names) come from the protocol and stay as they are.

use distlab_core::lesson::Lang;

/// A text with `N` holes written `{}`, each replaced by a value in [`fill`].
///
/// [`Tpl::new`] counts the holes at compile time (the texts are statics), so
/// `Tpl::<2>::new("only {} here")` is a build error, not a missing number
/// on the page.
#[derive(Clone, Copy, Debug)]
pub struct Tpl<const N: usize>(&'static str);

impl<const N: usize> Tpl<N> {
    /// The template `text`; panics (at compile time, in a static) unless it
    /// has exactly `N` holes.
    pub const fn new(text: &'static str) -> Self {
        assert!(holes(text) == N, "a template has a different number of holes than its type says");
        Tpl(text)
    }

    /// The raw text, holes included.
    pub const fn text(self) -> &'static str {
        self.0
    }
}

/// How many `{}` holes `text` has.
const fn holes(text: &str) -> usize {
    let b = text.as_bytes();
    let (mut i, mut n) = (0, 0);
    while i + 1 < b.len() {
        if b[i] == b'{' && b[i + 1] == b'}' {
            n += 1;
            i += 2;
        } else {
            i += 1;
        }
    }
    n
}

/// The UI's texts in one language.
#[allow(missing_docs)]
pub struct Strings {
    pub lang_name: &'static str,
    pub html_lang: &'static str,
    pub scenario: &'static str,
    pub lessons: &'static str,
    pub scenarios: &'static str,
    pub seed: &'static str,
    pub new_seed: &'static str,
    pub share: &'static str,
    pub copy_link: &'static str,
    pub copy_embed: &'static str,
    pub copied: &'static str,
    pub theme_dark: &'static str,
    pub theme_light: &'static str,
    pub play: &'static str,
    pub pause: &'static str,
    pub step: &'static str,
    pub speed: &'static str,
    pub timeline: &'static str,
    pub forked: Tpl<2>,
    pub inspector: &'static str,
    pub nothing_selected: &'static str,
    pub node: &'static str,
    pub status: &'static str,
    pub role: &'static str,
    pub clock: &'static str,
    pub timers: &'static str,
    pub log: &'static str,
    pub committed: &'static str,
    pub uncommitted: &'static str,
    pub store: &'static str,
    pub empty: &'static str,
    pub crash: &'static str,
    pub restart: &'static str,
    pub pause_for: &'static str,
    pub fire_timer: &'static str,
    pub request: &'static str,
    pub send: &'static str,
    pub isolate: &'static str,
    pub message: &'static str,
    pub from_to: &'static str,
    pub sent_at: &'static str,
    pub arrives_at: &'static str,
    pub drop: &'static str,
    pub duplicate: &'static str,
    pub hold: &'static str,
    pub release: &'static str,
    pub held: &'static str,
    pub message_gone: &'static str,
    pub delivered_at: &'static str,
    pub lost_at: &'static str,
    /// Button: back to just before a message arrived.
    pub before_arrival: &'static str,
    /// Button: back to just before a message was lost.
    pub before_loss: &'static str,
    /// Label before the nodes and messages a violation involves.
    pub involved: &'static str,
    pub network: &'static str,
    pub latency_ms: &'static str,
    pub min: &'static str,
    pub max: &'static str,
    pub loss: &'static str,
    pub duplication: &'static str,
    pub reordering: &'static str,
    pub apply: &'static str,
    pub partitions: &'static str,
    pub split_selected: &'static str,
    pub heal_all: &'static str,
    pub cut_one_way: &'static str,
    pub cut: &'static str,
    pub pick_nodes: &'static str,
    pub invariants: &'static str,
    pub all_hold: Tpl<1>,
    pub violated: &'static str,
    pub spacetime: &'static str,
    pub export_svg: &'static str,
    pub export_trace: &'static str,
    pub lesson: &'static str,
    pub hide: &'static str,
    pub show_lesson: &'static str,
    /// The list of every lesson, under a lesson.
    pub all_lessons: &'static str,
    /// The live figures panel.
    pub figures: &'static str,
    /// Lock board: a crashed client.
    pub lock_crashed: &'static str,
    /// Lock board: a paused client.
    pub lock_paused: &'static str,
    /// Lock board: the lease bar's tooltip.
    pub lock_lease_left: &'static str,
    /// Lock board: the token's tooltip.
    pub lock_token: &'static str,
    /// Lock board: a client's place in the queue.
    pub lock_place: Tpl<1>,
    /// Lock board: a client's try.
    pub lock_try: Tpl<1>,
    /// Lock board: the acquisitions tooltip.
    pub lock_count: &'static str,
    /// Lock board: rows left out.
    pub lock_more: Tpl<1>,
    /// Lock board: the storage line (node, highest token, check, accepted, refused).
    pub lock_resource: Tpl<5>,
    /// Lock board: the storage checks tokens.
    pub lock_checks: &'static str,
    /// Lock board: the storage does not check tokens.
    pub lock_no_check: &'static str,
    /// Lock board: its title.
    pub lock_title: &'static str,
    /// Ring view: the centre line (epoch, keys).
    pub ring_epoch: Tpl<2>,
    /// Ring view: the centre line while keys move (epoch, keys, moving).
    pub ring_epoch_moving: Tpl<3>,
    /// Ring view: a key whose old owner still has it.
    pub ring_waiting: &'static str,
    /// Ring view: a key sent to its new owner, not yet confirmed.
    pub ring_travelling: &'static str,
    /// Ring view: arcs that changed owner.
    pub ring_changed: &'static str,
    /// Space-time marks for network commands: partition, isolate, cut,
    /// heal, heal one link.
    pub net_verbs: [&'static str; 5],
    pub continue_: &'static str,
    pub back: &'static str,
    pub waiting: &'static str,
    pub condition_met: &'static str,
    pub challenge: &'static str,
    pub challenge_met: &'static str,
    pub timed_out: Tpl<1>,
    pub step_of: Tpl<2>,
    pub finished: &'static str,
    pub shortcuts: &'static str,
    pub close: &'static str,
    pub key_play: &'static str,
    pub key_step: &'static str,
    pub key_back: &'static str,
    pub key_speed: &'static str,
    pub key_help: &'static str,
    pub key_escape: &'static str,
    pub bad_link: Tpl<1>,
    pub link_too_long: Tpl<2>,
    pub ended: &'static str,
    pub up: &'static str,
    pub crashed: &'static str,
    pub paused: &'static str,
    /// A restart mark in the space-time diagram.
    pub restarted: &'static str,
    pub events: &'static str,
    pub in_flight: &'static str,
    pub open_full: &'static str,
    pub not_a_number: Tpl<2>,
    pub not_whole: Tpl<3>,
    pub out_of_range: Tpl<4>,
    pub link_too_long_read: Tpl<2>,
    pub link_other_version: Tpl<2>,
    pub link_not_ours: &'static str,
    pub link_damaged: &'static str,
    pub link_not_understood: Tpl<1>,
    pub link_unknown_file: Tpl<1>,
    /// A lesson file could not be fetched (the technical reason follows).
    pub file_not_loaded: Tpl<1>,
    /// Shown while a lesson file not yet fetched is on its way (its title).
    pub file_loading: Tpl<1>,
    pub link_file_changed: Tpl<1>,
    pub link_replay_failed: Tpl<1>,
    /// A waiting step: what it waits for.
    pub waiting_for: Tpl<1>,
    /// A step that waits for the learner's action.
    pub your_turn: Tpl<1>,
    /// How long a waiting step still waits.
    pub time_left: Tpl<1>,
    /// The same in wall time.
    pub wall_left: Tpl<1>,
    /// A step that asks the learner to press Play.
    pub press_play: &'static str,
    /// A waiting step while the learner paused.
    pub paused_hint: &'static str,
    /// Beside the Play button when a step asks for it.
    pub play_hint: &'static str,
    /// Button: speed up tenfold.
    pub faster: &'static str,
    /// Button: run to the moment the step waits for.
    pub skip: &'static str,
    /// Button: perform the step's solution.
    pub show_me: &'static str,
    /// Button at a lesson's end.
    pub next_lesson: Tpl<1>,
    /// Heading of the break-it switches.
    pub break_it: &'static str,
    /// Which invariant catches a switch.
    pub caught_by: Tpl<1>,
    /// The start page.
    pub home: &'static str,
    /// The side panels' toggle on narrow screens.
    pub panels: &'static str,
    /// Label of the share link field.
    pub share_link: &'static str,
    /// Label of the embed code field.
    pub embed_code: &'static str,
    /// Button: copy to the clipboard.
    pub copy: &'static str,
    /// The start page's heading.
    pub intro_title: &'static str,
    /// The start page's introduction.
    pub intro_text: &'static str,
    /// How lessons work.
    pub intro_how: &'static str,
    /// Start page: the first lesson.
    pub start_with: Tpl<1>,
    /// Start page: the first lesson not finished.
    pub continue_with: Tpl<1>,
    /// A finished lesson's mark.
    pub done: &'static str,
    /// A lesson's step count.
    pub steps_n: Tpl<1>,
    /// Before a family's playgrounds.
    pub playgrounds_here: &'static str,
    /// What comes next.
    pub coming_next: &'static str,
    /// A Raft term, in the log strip.
    pub term: &'static str,
    /// The log strip's column header.
    pub index: &'static str,
    /// An empty log strip.
    pub no_entries: &'static str,
    /// The log strip's title.
    pub logs: &'static str,
    /// The log strip's key.
    pub logs_key: &'static str,
    /// Space-time legend: a lost message.
    pub st_lost: &'static str,
    /// Space-time legend: a message in flight.
    pub st_in_flight: &'static str,
    /// Space-time legend: a crash.
    pub st_crash: &'static str,
    /// Space-time legend: a pause.
    pub st_pause: &'static str,
    /// Space-time legend: a partition or heal.
    pub st_network: &'static str,
    /// Space-time legend: a message a violation names.
    pub st_violation: &'static str,
    /// Button: a stop-the-world (GC) pause of the node.
    pub gc_pause: &'static str,
}

/// English.
pub static EN: Strings = Strings {
    lang_name: "English",
    html_lang: "en",
    scenario: "Scenario",
    lessons: "Lessons",
    scenarios: "Playgrounds",
    seed: "Seed",
    new_seed: "New seed",
    share: "Share",
    copy_link: "Copy link",
    copy_embed: "Copy embed code",
    copied: "Copied to the clipboard.",
    theme_dark: "Dark theme",
    theme_light: "Light theme",
    play: "Play",
    pause: "Pause",
    step: "Step",
    speed: "Speed",
    timeline: "Timeline",
    forked: Tpl::new("You acted in the past: the run forked at {} and the old future ({} events) was dropped."),
    inspector: "Inspector",
    nothing_selected: "Click a node or a message to inspect it.",
    node: "Node",
    status: "Status",
    role: "Role",
    clock: "Local clock",
    timers: "Timers",
    log: "Log",
    committed: "committed",
    uncommitted: "not committed",
    store: "Key-value store",
    empty: "empty",
    crash: "Crash",
    restart: "Restart",
    pause_for: "GC pause, ms",
    fire_timer: "Time out now",
    request: "Client request",
    send: "Send",
    isolate: "Isolate",
    message: "Message",
    from_to: "From → to",
    sent_at: "Sent at",
    arrives_at: "Arrives at",
    drop: "Drop",
    duplicate: "Duplicate",
    hold: "Hold",
    release: "Release",
    held: "held",
    message_gone: "This message is not in flight at this time.",
    delivered_at: "Delivered at",
    lost_at: "Lost at",
    before_arrival: "⟲ Just before it arrived",
    before_loss: "⟲ Just before it was lost",
    involved: "Involved:",
    network: "Network",
    latency_ms: "Latency (ms)",
    min: "min",
    max: "max",
    loss: "Loss",
    duplication: "Duplication",
    reordering: "Reordering",
    apply: "Apply",
    partitions: "Partitions",
    split_selected: "Split: picked nodes | the rest",
    heal_all: "Heal all links",
    cut_one_way: "Cut one way",
    cut: "Cut",
    pick_nodes: "Pick nodes for a group:",
    invariants: "Invariants",
    all_hold: Tpl::new("All {} invariants hold."),
    violated: "violated",
    spacetime: "Space-time diagram",
    export_svg: "Export SVG",
    export_trace: "Export trace (JSON)",
    lesson: "Lesson",
    hide: "Hide",
    show_lesson: "Show lesson",
    all_lessons: "All lessons",
    figures: "Figures",
    lock_crashed: "crashed",
    lock_paused: "paused",
    lock_lease_left: "lease left, on its own clock",
    lock_token: "fencing token",
    lock_place: Tpl::new("place {}"),
    lock_try: Tpl::new("try {}"),
    lock_count: "times it got the lock",
    lock_more: Tpl::new("{} more clients"),
    lock_resource: Tpl::new("{} storage: highest token {}, {}, {} accepted, {} refused"),
    lock_checks: "checks tokens",
    lock_no_check: "no token check",
    lock_title: "Lock, in serving order",
    ring_epoch: Tpl::new("epoch {} · {} keys"),
    ring_epoch_moving: Tpl::new("epoch {} · {} keys · {} moving"),
    ring_waiting: "waiting to move",
    ring_travelling: "on its way",
    ring_changed: "arc changed owner",
    net_verbs: ["partition", "isolate", "cut", "heal", "heal link"],
    continue_: "Continue",
    back: "Back",
    waiting: "Waiting for this to happen…",
    condition_met: "Done: you can continue.",
    challenge: "Challenge",
    challenge_met: "Challenge met!",
    timed_out: Tpl::new("This did not happen within {} ms of simulated time. Go back to try again, or continue."),
    step_of: Tpl::new("Step {} of {}"),
    finished: "Lesson finished.",
    shortcuts: "Keyboard shortcuts",
    close: "Close",
    key_play: "Play or pause",
    key_step: "Step one event",
    key_back: "Back 10 ms",
    key_speed: "Slower / faster",
    key_help: "Show this list",
    key_escape: "Close a panel, clear the selection",
    bad_link: Tpl::new("This link could not be opened: {} A fresh lab is shown instead."),
    link_too_long: Tpl::new("The run has too many commands for a share link ({} bytes; the limit is {})."),
    ended: "The scenario has reached its end.",
    up: "up",
    crashed: "crashed",
    paused: "paused",
    restarted: "restarted",
    events: "events",
    in_flight: "in flight",
    open_full: "Open in DistLab",
    not_a_number: Tpl::new("{}: '{}' is not a number."),
    not_whole: Tpl::new("{}: '{}' is not a whole number from 0 to {}."),
    out_of_range: Tpl::new("{}: {} is outside {} to {}."),
    link_too_long_read: Tpl::new("the link is {} characters long; the limit is {}."),
    link_other_version: Tpl::new("it was made by another version of DistLab ({}); this one reads {}."),
    link_not_ours: "it is not a DistLab share link (those start with #v1.).",
    link_damaged: "the link is damaged; was it cut off when it was copied?",
    link_not_understood: Tpl::new("its contents are not understood ({})."),
    link_unknown_file: Tpl::new("it names '{}', which this build does not have."),
    file_not_loaded: Tpl::new("A lesson file could not be loaded ({})."),
    file_loading: Tpl::new("Opening “{}”…"),
    link_file_changed: Tpl::new("'{}' has changed since the link was made, so the run cannot be replayed exactly."),
    link_replay_failed: Tpl::new("replaying it failed: {}"),
    waiting_for: Tpl::new("Waiting for: {}."),
    your_turn: Tpl::new("Your turn: {}."),
    time_left: Tpl::new("{} of simulated time left"),
    wall_left: Tpl::new("at most about {} s at this speed"),
    press_play: "Press ▶ Play (or Space) to watch it happen.",
    paused_hint: "Paused. Press ▶ Play to go on, or skip to the moment.",
    play_hint: "Press Play",
    faster: "Faster ×10",
    skip: "Skip to it »",
    show_me: "Show me",
    next_lesson: Tpl::new("Next: {} →"),
    break_it: "Break it",
    caught_by: Tpl::new("caught by {}"),
    home: "Start page",
    panels: "Panels",
    share_link: "Link",
    embed_code: "Embed",
    copy: "Copy",
    intro_title: "See how distributed systems really behave",
    intro_text: "Every protocol here runs for real on a simulated network, right in your browser. Crash servers, cut links, hold or drop messages, rewind time, and watch a checker catch the moment a rule breaks. Each lesson explains one rule and why it is there.",
    intro_how: "Lessons play by themselves and stop when something worth reading happens; Continue moves on. Playgrounds are free play.",
    start_with: Tpl::new("Start with {} →"),
    continue_with: Tpl::new("Continue with {} →"),
    done: "finished",
    steps_n: Tpl::new("{} steps"),
    playgrounds_here: "Playgrounds:",
    coming_next: "Coming next: Paxos and Multi-Paxos, two- and three-phase commit, message queues, ZAB and Chubby.",
    term: "term",
    index: "index",
    no_entries: "No entries yet: a leader appends them.",
    logs: "Logs",
    logs_key: "number = term · solid = committed · hollow = not yet · thick edge = commit index",
    st_lost: "lost",
    st_in_flight: "in flight",
    st_crash: "crash",
    st_pause: "paused",
    st_network: "network change",
    st_violation: "involved in a violation",
    gc_pause: "Freeze",
};

/// Simplified Chinese.
pub static ZH_CN: Strings = Strings {
    lang_name: "简体中文",
    html_lang: "zh-CN",
    scenario: "场景",
    lessons: "课程",
    scenarios: "实验场",
    seed: "随机种子",
    new_seed: "换个种子",
    share: "分享",
    copy_link: "复制链接",
    copy_embed: "复制嵌入代码",
    copied: "已复制到剪贴板。",
    theme_dark: "深色主题",
    theme_light: "浅色主题",
    play: "播放",
    pause: "暂停",
    step: "单步",
    speed: "速度",
    timeline: "时间轴",
    forked: Tpl::new("你在过去做了操作：运行在 {} 处分叉，原来的未来（{} 个事件）已丢弃。"),
    inspector: "检查器",
    nothing_selected: "点击一个节点或一条消息来查看详情。",
    node: "节点",
    status: "状态",
    role: "角色",
    clock: "本地时钟",
    timers: "定时器",
    log: "日志",
    committed: "已提交",
    uncommitted: "未提交",
    store: "键值存储",
    empty: "空",
    crash: "崩溃",
    restart: "重启",
    pause_for: "GC 暂停毫秒数",
    fire_timer: "立即超时",
    request: "客户端请求",
    send: "发送",
    isolate: "隔离",
    message: "消息",
    from_to: "发送方 → 接收方",
    sent_at: "发送时间",
    arrives_at: "到达时间",
    drop: "丢弃",
    duplicate: "复制",
    hold: "扣留",
    release: "放行",
    held: "已扣留",
    message_gone: "此时这条消息不在传输中。",
    delivered_at: "送达时间",
    lost_at: "丢失时间",
    before_arrival: "⟲ 回到它送达之前",
    before_loss: "⟲ 回到它丢失之前",
    involved: "涉及：",
    network: "网络",
    latency_ms: "延迟（毫秒）",
    min: "最小",
    max: "最大",
    loss: "丢包率",
    duplication: "重复率",
    reordering: "乱序率",
    apply: "应用",
    partitions: "网络分区",
    split_selected: "分区：选中的节点 | 其余节点",
    heal_all: "恢复所有链路",
    cut_one_way: "单向切断",
    cut: "切断",
    pick_nodes: "为一个分组选择节点：",
    invariants: "不变式",
    all_hold: Tpl::new("全部 {} 条不变式成立。"),
    violated: "被违反",
    spacetime: "时空图",
    export_svg: "导出 SVG",
    export_trace: "导出轨迹（JSON）",
    lesson: "课程",
    hide: "收起",
    show_lesson: "显示课程",
    all_lessons: "全部课程",
    figures: "实时数据",
    lock_crashed: "宕机",
    lock_paused: "暂停",
    lock_lease_left: "租约剩余（按它自己的时钟）",
    lock_token: "防护令牌",
    lock_place: Tpl::new("第 {} 位"),
    lock_try: Tpl::new("第 {} 次尝试"),
    lock_count: "获得锁次数",
    lock_more: Tpl::new("另有 {} 个客户端"),
    lock_resource: Tpl::new("{} 存储：接受过的最大令牌 {}，{}，接受 {}，拒绝 {}"),
    lock_checks: "检查令牌",
    lock_no_check: "不检查令牌",
    lock_title: "锁的服务顺序",
    ring_epoch: Tpl::new("第 {} 版成员 · {} 个键"),
    ring_epoch_moving: Tpl::new("第 {} 版成员 · {} 个键 · {} 个迁移中"),
    ring_waiting: "等待迁移",
    ring_travelling: "迁移途中",
    ring_changed: "换了主人的弧段",
    net_verbs: ["分区", "隔离", "切断", "恢复", "恢复链路"],
    continue_: "继续",
    back: "返回",
    waiting: "正在等待这件事发生……",
    condition_met: "完成：可以继续了。",
    challenge: "挑战",
    challenge_met: "挑战完成！",
    timed_out: Tpl::new("在 {} 毫秒的模拟时间内没有发生。可以返回重试，或直接继续。"),
    step_of: Tpl::new("第 {} 步，共 {} 步"),
    finished: "课程已完成。",
    shortcuts: "键盘快捷键",
    close: "关闭",
    key_play: "播放或暂停",
    key_step: "单步执行一个事件",
    key_back: "后退 10 毫秒",
    key_speed: "减速 / 加速",
    key_help: "显示此列表",
    key_escape: "关闭面板，取消选择",
    bad_link: Tpl::new("无法打开此链接：{} 已为你打开一个新的实验。"),
    link_too_long: Tpl::new("这次运行的操作太多，无法放进分享链接（{} 字节，上限 {}）。"),
    ended: "场景已运行到结尾。",
    up: "运行中",
    crashed: "已崩溃",
    paused: "已暂停",
    restarted: "已重启",
    events: "事件",
    in_flight: "传输中",
    open_full: "在 DistLab 中打开",
    not_a_number: Tpl::new("{}：“{}”不是数字。"),
    not_whole: Tpl::new("{}：“{}”不是 0 到 {} 之间的整数。"),
    out_of_range: Tpl::new("{}：{} 不在 {} 到 {} 之间。"),
    link_too_long_read: Tpl::new("链接长 {} 个字符，上限是 {}。"),
    link_other_version: Tpl::new("它由另一个版本的 DistLab 生成（{}），当前版本读取 {}。"),
    link_not_ours: "这不是 DistLab 分享链接（分享链接以 #v1. 开头）。",
    link_damaged: "链接已损坏；复制时是不是被截断了？",
    link_not_understood: Tpl::new("无法理解链接内容（{}）。"),
    link_unknown_file: Tpl::new("它指向“{}”，但当前版本中没有这个文件。"),
    file_not_loaded: Tpl::new("课程文件加载失败（{}）。"),
    file_loading: Tpl::new("正在打开“{}”…"),
    link_file_changed: Tpl::new("“{}”在生成链接之后被修改过，无法精确重放这次运行。"),
    link_replay_failed: Tpl::new("重放失败：{}"),
    waiting_for: Tpl::new("正在等待：{}。"),
    your_turn: Tpl::new("轮到你了：{}。"),
    time_left: Tpl::new("模拟时间还剩 {}"),
    wall_left: Tpl::new("按当前速度最多约 {} 秒"),
    press_play: "按 ▶ 播放（或空格键）观看它发生。",
    paused_hint: "已暂停。按 ▶ 播放继续，或直接跳到那一刻。",
    play_hint: "点这里播放",
    faster: "加快 10 倍",
    skip: "跳到那一刻 »",
    show_me: "演示给我看",
    next_lesson: Tpl::new("下一课：{} →"),
    break_it: "破坏开关",
    caught_by: Tpl::new("由“{}”发现"),
    home: "首页",
    panels: "面板",
    share_link: "链接",
    embed_code: "嵌入代码",
    copy: "复制",
    intro_title: "亲眼看看分布式系统到底怎样运行",
    intro_text: "这里的每个协议都在浏览器里的模拟网络上真实运行。你可以让服务器崩溃、切断链路、扣留或丢弃消息、倒回时间，看检查器在规则被破坏的那一刻把它抓出来。每节课讲清一条规则，以及它为什么存在。",
    intro_how: "课程会自己播放，在值得细看的时刻停下；点“继续”往下走。实验场可以随意操作。",
    start_with: Tpl::new("从“{}”开始 →"),
    continue_with: Tpl::new("继续学习“{}” →"),
    done: "已完成",
    steps_n: Tpl::new("共 {} 步"),
    playgrounds_here: "实验场：",
    coming_next: "即将推出：Paxos 与 Multi-Paxos、两阶段和三阶段提交、消息队列、ZAB 和 Chubby。",
    term: "任期",
    index: "位置",
    no_entries: "还没有条目：由领导者追加。",
    logs: "日志",
    logs_key: "数字 = 任期 · 实心 = 已提交 · 空心 = 未提交 · 粗边 = 提交位置",
    st_lost: "丢失",
    st_in_flight: "传输中",
    st_crash: "崩溃",
    st_pause: "暂停",
    st_network: "网络变化",
    st_violation: "与违反有关",
    gc_pause: "冻结",
};

/// The texts for `lang`.
pub fn of(lang: Lang) -> &'static Strings {
    match lang {
        Lang::En => &EN,
        Lang::ZhCn => &ZH_CN,
    }
}

/// Replaces each `{}` in `template` with the next of `args`; the type makes
/// the number of values match the number of holes.
pub fn fill<const N: usize>(template: Tpl<N>, args: &[&dyn std::fmt::Display; N]) -> String {
    let mut out = String::with_capacity(template.0.len() + 16);
    let mut rest = template.0;
    for a in args {
        let Some(i) = rest.find("{}") else { break };
        out.push_str(&rest[..i]);
        out.push_str(&a.to_string());
        rest = &rest[i + 2..];
    }
    out.push_str(rest);
    out
}

/// The language a browser asks for (`navigator.languages`): Chinese in any
/// form gives zh-CN, anything else English.
pub fn from_tag(tag: &str) -> Lang {
    if tag.to_ascii_lowercase().starts_with("zh") { Lang::ZhCn } else { Lang::En }
}
