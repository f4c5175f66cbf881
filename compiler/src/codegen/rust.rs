//! `src/main.rs` of a device: its nodes as statics, each output port a
//! function that calls its receivers directly, and the timers that start
//! messages. Built as tokens with `quote` and printed with `prettyplease`.

use std::collections::BTreeSet;

use proc_macro2::{Ident, Literal, TokenStream};
use quote::{format_ident, quote};

use crate::nodes::complete::Finish;
use crate::place::topic::wire_topic;
use psos::nodes::Done;

use crate::ir::{
    Arg, ChangePattern, ChangeRule, ChangeValue, CsvHeader, Datatype, DebugTarget, Delay,
    DelayMode, FilterMode, Flow, Gap, InjectValue, JsonAction, Literal as Value, Node, NodeIndex,
    NodeKind, Path, PathSegment, Property, RangeAction, Store, SwitchOp, SwitchOperand,
    TemplateBody, TemplateName, TemplateToken, TextKind, Trigger, TriggerOp,
};

/// The names generated code uses for one node. They are made from the node
/// type and its position on the device, never from strings in the flow.
struct Names {
    /// The static holding the node.
    cell: Ident,
    /// The function a message enters the node by.
    input: Ident,
    /// The function the node's outputs leave by.
    output: Ident,
}

impl Names {
    fn new(node: &Node, position: usize) -> Self {
        let base = format!("{}_{}", type_slug(&node.kind), position + 1);
        Self {
            cell: format_ident!("{}", base.to_uppercase()),
            input: format_ident!("{}", base),
            output: format_ident!("{}_out", base),
        }
    }
}

/// The runtime items a file refers to, so it imports exactly those.
#[derive(Default)]
struct Imports {
    root: BTreeSet<&'static str>,
    nodes: BTreeSet<&'static str>,
}

impl Imports {
    /// An item at the root of `psos`.
    fn root(&mut self, name: &'static str) -> Ident {
        self.root.insert(name);
        format_ident!("{}", name)
    }

    /// An item of `psos::nodes`.
    fn node(&mut self, name: &'static str) -> Ident {
        self.nodes.insert(name);
        format_ident!("{}", name)
    }

    fn merge(&mut self, other: Imports) {
        self.root.extend(other.root);
        self.nodes.extend(other.nodes);
    }

    fn tokens(&self) -> TokenStream {
        let root = self.root.iter().map(|name| format_ident!("{}", name));
        let nodes = self.nodes.iter().map(|name| format_ident!("{}", name));
        let root = (!self.root.is_empty()).then(|| quote!(use psos::{#(#root),*};));
        let nodes = (!self.nodes.is_empty()).then(|| quote!(use psos::nodes::{#(#nodes),*};));
        quote!(#nodes #root)
    }
}

/// How one receiver is wired: its position on the device, whether the wire
/// closes a loop, and the topic filter `msg.topic` must match, if any.
type Wiring<'a> = (usize, bool, Option<&'a str>);

/// One device's nodes, and who receives what each of them sends.
struct DeviceCode<'a> {
    /// The nodes of the device that get code, in file order.
    nodes: Vec<&'a Node>,
    /// Per node (by position), per output port, the receivers in delivery
    /// order: each a position, whether the wire closes a loop, and the topic
    /// filter `msg.topic` must match for the message to go that way.
    receivers: Vec<Vec<Vec<Wiring<'a>>>>,
    /// The positions of the nodes that wires closing a loop lead to; a
    /// queued message carries its receiver's index in this list.
    loop_targets: Vec<usize>,
    /// The device keeps an MQTT session, so `mqtt out` nodes also publish.
    has_broker: bool,
    /// Where its debug nodes mirror their sidebar messages: the broker's
    /// debug topic, on a device with a broker.
    debug_topic: Option<String>,
    /// Where its inject nodes are pressed and its debug nodes switched
    /// (`place::topic::control_prefixes`), on a device with a broker.
    control_prefixes: Option<(String, String)>,
    /// Per node (by position), the ports wired to other devices, each with
    /// the topic that carries them and its QoS.
    publishes: Vec<Vec<(usize, String, u8)>>,
    /// The topics of wires from other devices, each with its QoS and the
    /// positions of the nodes here they lead to.
    remote: Vec<(String, u8, Vec<usize>)>,
    /// The context stores the device's nodes use, in order of first use:
    /// each `Store::Flow` (its tab) and `Store::Global` at most once.
    contexts: Vec<&'a Store>,
    /// Per node (by position), the positions of the catch nodes that take
    /// its errors, in the order they get them.
    catchers: Vec<Vec<usize>>,
    /// Per node (by position), the positions of the status nodes that
    /// receive its status, in the order they get it.
    status_watchers: Vec<Vec<usize>>,
    /// Per node (by position), the positions of the complete nodes that
    /// take the messages it finishes with, in the order they get them.
    completers: Vec<Vec<usize>>,
    /// The watchers (as positions `(node, watcher)`) that get their
    /// messages through the loop queue (`Flow::queued_watches`).
    queued_watches: BTreeSet<(usize, usize)>,
    /// How many messages the loop queue holds
    /// (`place::resources::loop_queue_capacity`).
    loop_capacity: usize,
}

impl<'a> DeviceCode<'a> {
    fn new(flow: &'a Flow, device_index: usize) -> Self {
        let reachable = reachable(flow, device_index);
        let device = flow.devices.get(device_index);
        let has_broker = device.is_some_and(|device| device.broker.is_some());
        // On a device with a broker, an inactive debug node can be
        // switched on, so it has code too.
        let on_device: Vec<(NodeIndex, &Node)> = flow
            .nodes_on(device_index)
            .filter(|(index, node)| {
                (has_code(node) || has_broker) && reachable.get(*index) == Some(&true)
            })
            .collect();
        let mut position_of: Vec<Option<usize>> = vec![None; flow.nodes.len()];
        for (position, (node_index, _)) in on_device.iter().enumerate() {
            if let Some(slot) = position_of.get_mut(*node_index) {
                *slot = Some(position);
            }
        }
        let mut receivers: Vec<Vec<Vec<Wiring<'_>>>> = on_device
            .iter()
            .map(|(_, node)| vec![Vec::new(); node.kind.runtime_outputs()])
            .collect();
        let mut loop_targets = Vec::new();
        let mut publishes: Vec<Vec<(usize, String, u8)>> = vec![Vec::new(); receivers.len()];
        let mut remote: Vec<(String, u8, Vec<usize>)> = Vec::new();
        for wire in &flow.wires {
            match (position_of.get(wire.from), position_of.get(wire.to)) {
                (Some(Some(from)), Some(Some(to))) => {
                    if let Some(port) = receivers
                        .get_mut(*from)
                        .and_then(|ports| ports.get_mut(wire.port))
                    {
                        port.push((*to, wire.queued, wire.topic_filter.as_deref()));
                    }
                    if wire.queued && !loop_targets.contains(to) {
                        loop_targets.push(*to);
                    }
                }
                // A wire to another device publishes the message once per
                // port, on the port's topic. (A node of this device without
                // code, such as an inactive debug node, takes nothing.)
                (Some(Some(from)), _)
                    if flow
                        .nodes
                        .get(wire.to)
                        .is_some_and(|node| node.device != device_index) =>
                {
                    let Some(source) = flow.nodes.get(wire.from) else {
                        continue;
                    };
                    let topic = wire_topic(flow.name(), &source.id, wire.port);
                    if let Some(list) = publishes.get_mut(*from) {
                        if !list.iter().any(|(port, ..)| *port == wire.port) {
                            list.push((wire.port, topic, source.wire_qos));
                        }
                    }
                }
                // A wire from another device arrives on that port's topic.
                (_, Some(Some(to)))
                    if flow
                        .nodes
                        .get(wire.from)
                        .is_some_and(|node| node.device != device_index) =>
                {
                    let Some(source) = flow.nodes.get(wire.from) else {
                        continue;
                    };
                    let topic = wire_topic(flow.name(), &source.id, wire.port);
                    match remote.iter_mut().find(|(known, ..)| *known == topic) {
                        Some((.., targets)) => targets.push(*to),
                        None => remote.push((topic, source.wire_qos, vec![*to])),
                    }
                }
                _ => {}
            }
        }
        let catchers = on_device
            .iter()
            .map(|(node_index, _)| {
                flow.caught_by
                    .get(node_index)
                    .into_iter()
                    .flatten()
                    .filter_map(|catch| position_of.get(*catch).copied().flatten())
                    .collect()
            })
            .collect();
        let status_watchers = on_device
            .iter()
            .map(|(node_index, _)| {
                flow.status_watched_by
                    .get(node_index)
                    .into_iter()
                    .flatten()
                    .filter_map(|watcher| position_of.get(*watcher).copied().flatten())
                    .collect()
            })
            .collect();
        let completers = on_device
            .iter()
            .map(|(node_index, _)| {
                flow.completed_by
                    .get(node_index)
                    .into_iter()
                    .flatten()
                    .filter_map(|complete| position_of.get(*complete).copied().flatten())
                    .collect()
            })
            .collect();
        let queued_watches: BTreeSet<(usize, usize)> = flow
            .queued_watches
            .iter()
            .filter_map(|(node, watcher)| {
                let position = |index: &usize| position_of.get(*index).copied().flatten();
                Some((position(node)?, position(watcher)?))
            })
            .collect();
        for (_, watcher) in &queued_watches {
            if !loop_targets.contains(watcher) {
                loop_targets.push(*watcher);
            }
        }
        let mut contexts: Vec<&Store> = Vec::new();
        for (_, node) in &on_device {
            for scope in node.kind.context_scopes() {
                if !contexts.contains(&scope) {
                    contexts.push(scope);
                }
            }
        }
        let loop_capacity = crate::place::resources::loop_queue_capacity(
            receivers
                .iter()
                .enumerate()
                .flat_map(|(position, ports)| {
                    ports
                        .iter()
                        .flatten()
                        .filter(|(_, queued, _)| *queued)
                        .map(move |_| position)
                })
                .chain(queued_watches.iter().map(|(node, _)| *node)),
        );
        Self {
            nodes: on_device.into_iter().map(|(_, node)| node).collect(),
            contexts,
            receivers,
            loop_targets,
            loop_capacity,
            has_broker: flow
                .devices
                .get(device_index)
                .is_some_and(|device| device.broker.is_some()),
            debug_topic: flow
                .devices
                .get(device_index)
                .and_then(|device| device.broker.as_ref())
                .map(|broker| broker.debug_topic.clone()),
            control_prefixes: device
                .filter(|_| has_broker)
                .map(|device| crate::place::topic::control_prefixes(flow.name(), &device.name)),
            publishes,
            remote,
            catchers,
            status_watchers,
            completers,
            queued_watches,
        }
    }

    /// How the node at `position` reaches its `watchers`: each watcher's
    /// input function, or the loop queue for those whose messages go
    /// through it.
    fn watcher_receivers(&self, position: usize, watchers: &[usize]) -> Vec<Receiver> {
        watchers
            .iter()
            .filter_map(|watcher| {
                let queued = self.queued_watches.contains(&(position, *watcher));
                self.receiver((*watcher, queued, None))
            })
            .collect()
    }

    /// How a message reaches a receiver: its input function (when
    /// `msg.topic` matches, for a local topic known only at run time), or
    /// the loop queue with the receiver's index there.
    fn receiver(
        &self,
        (position, queued, filter): (usize, bool, Option<&str>),
    ) -> Option<Receiver> {
        if queued {
            let index = self
                .loop_targets
                .iter()
                .position(|target| *target == position)?;
            return Some(Receiver::Queued(
                u16::try_from(index).ok()?,
                filter.map(str::to_string),
            ));
        }
        let input = self.names(position)?.input;
        Some(match filter {
            Some(filter) => Receiver::IfTopic(filter.to_string(), input),
            None => Receiver::Direct(input),
        })
    }

    /// The loop queue and the function that delivers what waits in it, when
    /// the device has loops.
    fn loopback(&self, imports: &mut Imports, capacity: &Literal) -> TokenStream {
        if self.loop_targets.is_empty() {
            return quote!();
        }
        let loopback = imports.root("Loopback");
        let budget = imports.root("LOOPBACK_BUDGET");
        let loop_capacity = Literal::usize_unsuffixed(self.loop_capacity);
        let arms: Vec<(Literal, TokenStream)> = self
            .loop_targets
            .iter()
            .enumerate()
            .filter_map(|(index, position)| {
                let input = self.names(*position)?.input;
                let index = Literal::u16_unsuffixed(u16::try_from(index).ok()?);
                Some((index, quote!(#input(&mut msg);)))
            })
            .collect();
        let dispatch = dispatch(quote!(target), arms);
        quote! {
            /// Messages that close a loop, on a wire or to a catch, status or
            /// complete node, wait here until the call that sent them returns.
            static LOOPBACK: #loopback<#capacity, LOOPBACK_CAPACITY> = #loopback::new();

            /// How many messages the loop queue holds.
            const LOOPBACK_CAPACITY: usize = #loop_capacity;

            /// Delivers what waits in the loop queue, a bounded number at a time.
            fn drain_loopback() {
                for _ in 0..#budget {
                    let Some((target, mut msg)) = LOOPBACK.pop() else {
                        return;
                    };
                    #dispatch
                }
            }
        }
    }

    /// The device's MQTT client, when it has a broker: who it is there,
    /// the outbox, what it subscribes to (each `mqtt in`), and its task.
    fn mqtt(&self, device: &crate::ir::Device, capacity: &Literal) -> TokenStream {
        let Some(broker) = &device.broker else {
            return quote!();
        };
        let client_id = Literal::string(&broker.client_id);
        let status_topic = Literal::string(&broker.status_topic);
        let keepalive = Literal::u16_unsuffixed(broker.keepalive_s);
        let expiry = Literal::u32_unsuffixed(broker.session.expiry_s);
        let clean_start = broker.session.clean_start;
        let birth = announcement(broker.session.birth.as_ref());
        let close = announcement(broker.session.close.as_ref());
        let will = announcement(broker.session.will.as_ref());
        let outbox = Literal::usize_unsuffixed(device.outbox);
        let drain = !self.loop_targets.is_empty();
        let mut deliveries = Vec::new();
        let subscriptions: Vec<TokenStream> = self
            .nodes
            .iter()
            .enumerate()
            .filter_map(|(position, node)| {
                let NodeKind::MqttIn(input) = &node.kind else { return None };
                let names = self.names(position)?;
                let filter = Literal::string(&input.topic);
                let qos = Literal::u8_unsuffixed(input.qos);
                // What arrives may start a loop: its queue is drained after.
                let deliver = if drain {
                    let deliver = format_ident!("{}_from_broker", names.input);
                    let input_fn = names.input;
                    deliveries.push(quote! {
                        fn #deliver(msg: &mut Msg) {
                            #input_fn(msg);
                            drain_loopback();
                        }
                    });
                    deliver
                } else {
                    names.input
                };
                Some(quote!(psos::mqtt::Subscription { filter: #filter, qos: #qos, deliver: #deliver }))
            })
            .collect();
        let mut subscriptions = subscriptions;
        for (index, (topic, qos, targets)) in self.remote.iter().enumerate() {
            let deliver = format_ident!("wire_{}_from_broker", index + 1);
            let receivers: Vec<Receiver> = targets
                .iter()
                .filter_map(|position| self.names(*position))
                .map(|names| Receiver::Direct(names.input))
                .collect();
            let delivery = fan_out(&receivers);
            let drain_after = drain.then(|| quote!(drain_loopback();));
            deliveries.push(quote! {
                fn #deliver(carried: &mut Msg) {
                    psos::mqtt::receive_msg(&DEVICE, carried, |msg| {
                        #delivery
                    });
                    #drain_after
                }
            });
            let filter = Literal::string(topic);
            let qos = Literal::u8_unsuffixed(*qos);
            subscriptions.push(
                quote!(psos::mqtt::Subscription { filter: #filter, qos: #qos, deliver: #deliver }),
            );
        }
        subscriptions.extend(self.controls(capacity, drain, &mut deliveries));
        let n_subscriptions = Literal::usize_unsuffixed(subscriptions.len());
        let (on_session, session_fn) = self.session_status();
        let transport = match device.board.support_crate() {
            None => {
                let scheme = if broker.tls.is_some() {
                    "mqtts"
                } else {
                    "mqtt"
                };
                let url = Literal::string(&format!("{scheme}://{}:{}", broker.host, broker.port));
                let ca_file = match broker.tls.as_ref().and_then(|tls| tls.ca_file.as_deref()) {
                    Some(path) => {
                        let path = Literal::string(path);
                        quote!(Some(#path))
                    }
                    None => quote!(None),
                };
                quote!(psos::host::Link::from_env_or(#url, #ca_file))
            }
            Some((package, _)) => {
                let board = format_ident!("{}", package.replace('-', "_"));
                quote!(#board::Uart0::new())
            }
        };
        quote! {
            /// Who the device is at its broker.
            static BROKER: psos::mqtt::Broker = psos::mqtt::Broker {
                client_id: #client_id,
                keepalive_s: #keepalive,
                status_topic: #status_topic,
                session_expiry_s: #expiry,
                clean_start: #clean_start,
                birth: #birth,
                close: #close,
                will: #will,
                on_session: #on_session,
            };

            #session_fn

            /// What waits to be published.
            static OUTBOX: psos::mqtt::Outbox<#capacity, OUTBOX_CAPACITY> = psos::mqtt::Outbox::new();

            /// How many messages wait for the broker at most.
            const OUTBOX_CAPACITY: usize = #outbox;

            /// What the device subscribes to, and where each message goes.
            static SUBSCRIPTIONS: [psos::mqtt::Subscription<#capacity>; #n_subscriptions] = [#(#subscriptions),*];

            #(#deliveries)*

            #[embassy_executor::task]
            async fn mqtt() {
                psos::mqtt::run(&DEVICE, &BROKER, &SUBSCRIPTIONS, &OUTBOX, #transport).await;
            }

            fn start_mqtt(spawner: embassy_executor::Spawner) {
                if let Ok(token) = mqtt() {
                    spawner.spawn(token);
                }
            }
        }
    }

    /// Whether a wire, here or from another device, brings messages to
    /// the node at `position`.
    fn reached_by_messages(&self, position: usize) -> bool {
        self.receivers
            .iter()
            .flatten()
            .flatten()
            .any(|(to, ..)| *to == position)
            || self
                .remote
                .iter()
                .any(|(.., targets)| targets.contains(&position))
    }

    /// For a device whose `mqtt in` or `mqtt out` nodes status nodes
    /// watch: the function that tells them, in the order of the flow (as
    /// `10-mqtt.js` tells a broker's nodes, in the order they registered),
    /// where the session stands, and `Some` of its name for the broker's
    /// `on_session`; `None` and nothing otherwise.
    fn session_status(&self) -> (TokenStream, TokenStream) {
        let reported: Vec<Ident> = self
            .nodes
            .iter()
            .enumerate()
            .filter(|(_, node)| matches!(node.kind, NodeKind::MqttIn(_) | NodeKind::MqttOut(_)))
            .filter(|(position, _)| {
                self.status_watchers
                    .get(*position)
                    .is_some_and(|w| !w.is_empty())
            })
            .filter_map(|(position, _)| self.names(position))
            .map(|names| status_name(&names))
            .collect();
        if reported.is_empty() {
            return (quote!(None), quote!());
        }
        // What a status node's chain put in the loop queue runs after.
        let drain = (!self.loop_targets.is_empty()).then(|| quote!(drain_loopback();));
        (
            quote!(Some(mqtt_session)),
            quote! {
                /// Tells the status nodes that watch the mqtt nodes where the
                /// session stands.
                fn mqtt_session(state: psos::mqtt::SessionState) {
                    let status = state.status();
                    #(#reported(&status);)*
                    #drain
                }
            },
        )
    }

    /// The static that holds a context store.
    fn context_static(&self, scope: &Store) -> Ident {
        let position = self.contexts.iter().position(|used| *used == scope);
        let number = position.map_or(0, |p| p + 1);
        match scope {
            Store::Global => format_ident!("GLOBAL_CONTEXT"),
            Store::GlobalStore(_) => format_ident!("GLOBAL_CONTEXT_{}", number),
            _ => format_ident!("FLOW_CONTEXT_{}", number),
        }
    }

    /// The device's context stores, each a static of `contextCapacity`
    /// bytes; nothing when no node uses one.
    fn context_stores(&self, capacity: usize) -> TokenStream {
        if self.contexts.is_empty() {
            return quote!();
        }
        let capacity = Literal::usize_unsuffixed(capacity);
        let stores = self.contexts.iter().map(|scope| {
            let name = self.context_static(scope);
            let doc = match scope {
                Store::Global => " The device's global context.".to_string(),
                Store::GlobalStore(store) => format!(
                    " The device's global context store {:?} (number {}).",
                    store.name, store.number
                ),
                Store::FlowStore(_, store) => format!(
                    " The flow context store {:?} (number {}) of one tab.",
                    store.name, store.number
                ),
                _ => " The flow context of one tab.".to_string(),
            };
            quote! {
                #[doc = #doc]
                static #name: psos::Context<CONTEXT_CAPACITY> = psos::Context::new();
            }
        });
        quote! {
            /// The bytes each context store holds.
            const CONTEXT_CAPACITY: usize = #capacity;

            #(#stores)*
        }
    }

    /// A node that uses flow or global context (a change node's rules, an
    /// inject's properties), given its stores.
    fn with_context(&self, node: &Node, imports: &mut Imports) -> (TokenStream, TokenStream) {
        let info = node_info(node, imports);
        let scopes = node.kind.context_scopes();
        let store =
            |wanted: &dyn Fn(&Store) -> bool| match scopes.iter().find(|scope| wanted(scope)) {
                Some(scope) => {
                    let name = self.context_static(scope);
                    quote!(Some(&#name))
                }
                None => quote!(None),
            };
        let flow = store(&|scope| matches!(scope, Store::Flow(_)));
        let global = store(&|scope| *scope == Store::Global);
        let named = self.named_stores(&scopes, imports);
        let stores = quote!(psos::Stores::new(#flow, #global) #named);
        let (node_type, items) = match &node.kind {
            NodeKind::Switch(switch) => {
                let switch_type = imports.node("Switch");
                let subject = property(&switch.property, imports);
                let rules = switch_rules(switch, imports);
                let room = switch_room(switch);
                let check_all = switch.check_all;
                return holding_sequences(
                    switch,
                    quote!(#switch_type<#room, CONTEXT_CAPACITY>),
                    quote!(#room, CONTEXT_CAPACITY),
                    quote!(#switch_type::with_context(#info, #subject, &[#(#rules),*], #check_all, #stores)),
                    imports,
                );
            }
            NodeKind::Trigger(trigger) => {
                let trigger_type = imports.node("Trigger");
                let config = trigger_config(trigger, imports);
                let topics = Literal::usize_unsuffixed(trigger.topics);
                return (
                    quote!(#trigger_type<{ Msg::CAPACITY }, #topics, CONTEXT_CAPACITY>),
                    quote!(#trigger_type::with_context(#info, #config, #stores)),
                );
            }
            NodeKind::Template(template) => {
                let template_type = imports.node("Template");
                let field = property(&template.field, imports);
                let body = template_body(template, imports);
                let empty = template.empty;
                return (
                    quote!(#template_type<CONTEXT_CAPACITY>),
                    quote!(#template_type::with_context(#info, #field, #body, #empty, #stores)),
                );
            }
            NodeKind::Inject(inject) => (imports.node("Inject"), inject_props(inject, imports)),
            NodeKind::Change(change) => (imports.node("Change"), change_rules(change, imports)),
            _ => return constructor(node, imports),
        };
        let memory = capture_memory(&node.kind);
        if memory > 0 {
            let memory = Literal::usize_unsuffixed(memory);
            return (
                quote!(#node_type<CONTEXT_CAPACITY, #memory>),
                quote!(#node_type::with_context(#info, &[#(#items),*], #flow, #global)
                    #named .with_captures::<#memory>()),
            );
        }
        (
            quote!(#node_type<CONTEXT_CAPACITY>),
            quote!(#node_type::with_context(#info, &[#(#items),*], #flow, #global) #named),
        )
    }

    /// The method a node's input function calls, and the arguments it
    /// takes before the device's: on a device with controls, an inject
    /// node's `press` (which reads what a press of its button brings; its
    /// timers give it an empty message) and a debug node's
    /// `input_switched`, with its switch, which this adds to `items`;
    /// `input` otherwise.
    fn input_method(
        &self,
        node: &Node,
        cell: &Ident,
        items: &mut Vec<TokenStream>,
    ) -> (TokenStream, TokenStream) {
        if self.control_prefixes.is_none() {
            return (quote!(input), quote!());
        }
        match &node.kind {
            NodeKind::Inject(_) => (quote!(press), quote!()),
            NodeKind::Debug(debug) => {
                let switch = switch_name(cell);
                let active = debug.active;
                items.push(quote! {
                    static #switch: psos::control::Switch = psos::control::Switch::new(#active);
                });
                (quote!(input_switched), quote!(&#switch,))
            }
            _ => (quote!(input), quote!()),
        }
    }

    /// On a device with a broker and inject or debug nodes: the table of
    /// its controls, the function that serves them, and its
    /// subscriptions to their topics.
    fn controls(
        &self,
        capacity: &Literal,
        drain: bool,
        deliveries: &mut Vec<TokenStream>,
    ) -> Vec<TokenStream> {
        let Some((inject_prefix, debug_prefix)) = &self.control_prefixes else {
            return Vec::new();
        };
        let mut buttons = Vec::new();
        let mut debugs = Vec::new();
        for (position, node) in self.nodes.iter().enumerate() {
            let Some(names) = self.names(position) else {
                continue;
            };
            let level = Literal::string(&crate::place::topic::node_level(&node.id));
            match &node.kind {
                NodeKind::Inject(_) => {
                    let press = names.input;
                    buttons.push(quote!(psos::control::Button { level: #level, press: #press }));
                }
                NodeKind::Debug(_) => {
                    let id = Literal::string(&node.id);
                    let switch = switch_name(&names.cell);
                    debugs.push(quote!(psos::control::DebugControl { id: #id, level: #level, switch: &#switch }));
                }
                _ => {}
            }
        }
        let mut filters = Vec::new();
        if !buttons.is_empty() {
            filters.push(format!("{inject_prefix}+"));
        }
        if !debugs.is_empty() {
            filters.push(format!("{debug_prefix}+"));
            filters.push(format!("{debug_prefix}+/+"));
        }
        if filters.is_empty() {
            return Vec::new();
        }
        let inject_prefix = Literal::string(inject_prefix);
        let debug_prefix = Literal::string(debug_prefix);
        let drain_after = drain.then(|| quote!(drain_loopback();));
        deliveries.push(quote! {
            /// The inject nodes that can be pressed, and the debug nodes
            /// that can be switched, over MQTT.
            static CONTROLS: psos::control::Controls<#capacity> = psos::control::Controls {
                inject_prefix: #inject_prefix,
                debug_prefix: #debug_prefix,
                buttons: &[#(#buttons),*],
                debugs: &[#(#debugs),*],
            };

            fn control_from_broker(carried: &mut Msg) {
                CONTROLS.handle(&DEVICE, &OUTBOX, carried);
                #drain_after
            }
        });
        filters
            .iter()
            .map(|filter| {
                let filter = Literal::string(filter);
                quote!(psos::mqtt::Subscription { filter: #filter, qos: 1, deliver: control_from_broker })
            })
            .collect()
    }

    /// The stores the flow names that a node uses (of its `scopes`), as a
    /// call that gives them to its stores (`.with_named(&[...])`); nothing
    /// for a node that uses none.
    fn named_stores(&self, scopes: &[&Store], imports: &mut Imports) -> TokenStream {
        let named: Vec<TokenStream> = scopes
            .iter()
            .filter(|scope| scope.name().is_some())
            .map(|scope| {
                let context = self.context_static(scope);
                let scope = store_scope(scope, imports);
                quote!(psos::NamedStore { scope: #scope, context: &#context })
            })
            .collect();
        if named.is_empty() {
            return quote!();
        }
        quote!(.with_named(&[#(#named),*]))
    }

    fn names(&self, position: usize) -> Option<Names> {
        self.nodes
            .get(position)
            .map(|node| Names::new(node, position))
    }

    /// The static, input function and output function of each node in
    /// `positions`, formatted.
    fn node_items(&self, positions: std::ops::Range<usize>, imports: &mut Imports) -> String {
        let msg = format_ident!("Msg");
        let mut items = Vec::new();
        for position in positions {
            let (Some(node), Some(names)) = (self.nodes.get(position), self.names(position)) else {
                continue;
            };
            let Names {
                cell,
                input,
                output,
            } = &names;
            // An mqtt out that status nodes watch but no message reaches
            // has its status to report and nothing else to do.
            if matches!(node.kind, NodeKind::MqttOut(_)) && !self.reached_by_messages(position) {
                if let Some((_, function)) = self.status_function(node, position, imports) {
                    items.push(function);
                }
                continue;
            }
            let watched = self.completers.get(position).is_some_and(|c| !c.is_empty());
            let keeping = watched
                .then(|| keeping_constructor(node, imports))
                .flatten();
            let (mut node_type, mut constructor) = if let Some(keeping) = keeping {
                keeping
            } else if node.kind.context_scopes().is_empty() {
                constructor(node, imports)
            } else {
                self.with_context(node, imports)
            };
            let mut ports: Vec<Vec<Receiver>> = self
                .receivers
                .get(position)
                .into_iter()
                .flatten()
                .map(|port| {
                    port.iter()
                        .filter_map(|receiver| self.receiver(*receiver))
                        .collect()
                })
                .collect();
            // A subflow's status port sends the instance's status to the
            // status nodes that receive it.
            if matches!(node.kind, NodeKind::SubflowStatus(_)) {
                ports = vec![self.status_receivers(position)];
            }
            // An `mqtt out` on a device with a broker publishes there too.
            if self.has_broker && matches!(node.kind, NodeKind::MqttOut(_)) {
                if let Some(port) = ports.first_mut() {
                    port.insert(0, Receiver::Outbox);
                }
            }
            // A debug node on a device with a broker mirrors its sidebar
            // messages there, on a port of its own.
            if let (NodeKind::Debug(debug), Some(topic)) = (&node.kind, &self.debug_topic) {
                if debug.to_sidebar {
                    constructor = with_sidebar(constructor, debug, topic, imports);
                    if ports.is_empty() {
                        ports.push(Vec::new());
                    }
                    if let Some(port) = ports.first_mut() {
                        port.insert(0, Receiver::OutboxIfRoom);
                    }
                }
            }
            for (port, topic, qos) in self.publishes.get(position).into_iter().flatten() {
                if let Some(receivers) = ports.get_mut(*port) {
                    receivers.insert(0, Receiver::Publish(topic.clone(), *qos));
                }
            }
            let catch = self.catch_function(node, position, imports);
            let caught = catch.as_ref().map(|(name, _)| name);
            let (output_fn, outputs) = match output_function(output, &msg, &ports, caught) {
                Some(function) => (function, quote!(#output)),
                None => {
                    let discard = imports.root("Discard");
                    (quote!(), quote!(#discard))
                }
            };
            let status_fn = self.status_function(node, position, imports);
            if let (NodeKind::Debug(debug), Some(_)) = (&node.kind, &status_fn) {
                let counter = counter_name(cell);
                if debug.status == Some(crate::ir::DebugStatus::Counter) {
                    let counter_type = imports.node("DebugCounter");
                    items
                        .push(quote!(static #counter: #counter_type = #counter_type::on_uptime();));
                }
                constructor = with_debug_status(constructor, debug, &counter, imports);
            }
            if let (NodeKind::Delay(delay), Some(_)) = (&node.kind, &status_fn) {
                if let Some(watched_type) = watched_delay_type(delay, imports) {
                    node_type = watched_type;
                }
            }
            let outputs = reporting(outputs, status_fn.as_ref().map(|(name, _)| name), imports);
            let outputs = catching(outputs, caught, imports);
            let status_fn = status_fn.map(|(_, function)| function);
            let (method, lead) = self.input_method(node, cell, &mut items);
            // A node that complete nodes watch sends copies, keeping the
            // message it was given as it left it, and then gives them that.
            let (watch, run, complete_call, complete_fn) =
                match self.completion(node, position, &outputs, imports) {
                    Some(completion) => (
                        completion.watch,
                        completion.input.unwrap_or_else(
                            || quote!(#cell.#method(#lead &DEVICE, msg, &mut watched);),
                        ),
                        completion.call,
                        completion.function,
                    ),
                    None => (
                        quote!(),
                        quote!(#cell.#method(#lead &DEVICE, msg, &mut #outputs);),
                        quote!(),
                        quote!(),
                    ),
                };
            // Built-in nodes keep no state, so they are immutable statics the
            // optimiser can see through; nodes with state live in a cell.
            let declaration = if is_stateless(&node.kind) {
                quote!(static #cell: #node_type = #constructor;)
            } else {
                let node_cell = imports.root("NodeCell");
                quote!(static #cell: #node_cell<#node_type> = #node_cell::new(#constructor);)
            };
            // A node whose errors catch nodes take forgets errors that are not
            // its own before it runs, and looks for one after.
            let (before, after, catch_fn) = match &catch {
                Some((caught, function)) => (
                    quote!(DEVICE.forget_error();),
                    quote!(#caught(msg);),
                    function.clone(),
                ),
                None => (quote!(), quote!(), quote!()),
            };
            items.push(quote! {
                #declaration

                fn #input(msg: &mut #msg) {
                    #before
                    #watch
                    #run
                    #after
                    #complete_call
                }

                #catch_fn

                #status_fn

                #complete_fn

                #output_fn
            });
        }
        format_file(quote!(#(#items)*))
    }

    /// For a node whose errors catch nodes of this device take: the name
    /// of the function that gives them an error the node reported, and
    /// that function.
    fn catch_function(
        &self,
        node: &Node,
        position: usize,
        imports: &mut Imports,
    ) -> Option<(Ident, TokenStream)> {
        let catchers = self.catchers.get(position).filter(|c| !c.is_empty())?;
        let receivers = self.watcher_receivers(position, catchers);
        let names = self.names(position)?;
        let caught = format_ident!("{}_caught", names.input);
        let info = node_info(node, imports);
        let node_info_type = imports.root("NodeInfo");
        let catch_error = imports.node("catch_error");
        let delivery = fan_out(&receivers);
        let msg = format_ident!("Msg");
        Some((
            caught.clone(),
            quote! {
                fn #caught(msg: &#msg) {
                    const SOURCE: #node_info_type = #info;
                    #catch_error(&DEVICE, &SOURCE, msg, |msg| {
                        #delivery
                    });
                }
            },
        ))
    }

    /// The status nodes of this device that receive a node's status.
    fn status_receivers(&self, position: usize) -> Vec<Receiver> {
        let watchers = self
            .status_watchers
            .get(position)
            .map_or(&[][..], Vec::as_slice);
        self.watcher_receivers(position, watchers)
    }

    /// For a node whose status status nodes of this device receive: the
    /// name of the function that gives them each status the node reports,
    /// and that function.
    fn status_function(
        &self,
        node: &Node,
        position: usize,
        imports: &mut Imports,
    ) -> Option<(Ident, TokenStream)> {
        // A subflow's status port sends its status as messages.
        if matches!(node.kind, NodeKind::SubflowStatus(_)) {
            return None;
        }
        let receivers = self.status_receivers(position);
        if receivers.is_empty() {
            return None;
        }
        let names = self.names(position)?;
        let reported = status_name(&names);
        let info = node_info(node, imports);
        let node_info_type = imports.root("NodeInfo");
        let node_status = imports.root("NodeStatus");
        let status_message = imports.root("status_message");
        let delivery = fan_out(&receivers);
        let msg = format_ident!("Msg");
        Some((
            reported.clone(),
            quote! {
                fn #reported(status: &#node_status<'_>) {
                    const SOURCE: #node_info_type = #info;
                    #status_message(&DEVICE, &SOURCE, status, |msg: &mut #msg| {
                        #delivery
                    });
                }
            },
        ))
    }

    /// For a node whose finished messages complete nodes of this device
    /// take, by its kind's rule (`nodes::complete::finish`): how its input
    /// function runs it (`Watched` over `outputs`, its output function or
    /// `Discard`, so that it sends
    /// copies and keeps the message it was given as it left it) and then
    /// gives the complete nodes that message, and the function that does.
    fn completion(
        &self,
        node: &Node,
        position: usize,
        outputs: &TokenStream,
        imports: &mut Imports,
    ) -> Option<Completion> {
        let completers = self.completers.get(position).filter(|c| !c.is_empty())?;
        let finish = crate::nodes::complete::finish(&node.kind);
        let receivers = self.watcher_receivers(position, completers);
        let names = self.names(position)?;
        let completed = format_ident!("{}_completed", names.input);
        let info = node_info(node, imports);
        let node_info_type = imports.root("NodeInfo");
        let completed_fn = imports.node("completed");
        let watched_type = imports.node("Watched");
        let delivery = fan_out(&receivers);
        let msg = format_ident!("Msg");
        let cell = &names.cell;
        let (input, call) = match finish {
            Finish::Done(Done::Always) => (None, quote!(#completed(msg);)),
            Finish::Done(Done::IfSent) => {
                let done_type = imports.node("Done");
                let call = quote! {
                    if watched.done(#done_type::IfSent) {
                        #completed(msg);
                    }
                };
                (None, call)
            }
            // The node tells the hook what it has finished with, as it
            // sends it or later from its timer (`Finishing::input_now`).
            Finish::Released => {
                imports.node("Finishing");
                (
                    Some(quote! {
                        #cell.with(&DEVICE, |node| {
                            node.input_now(&DEVICE, msg, &mut watched, &mut #completed);
                        });
                    }),
                    quote!(),
                )
            }
            Finish::Reported => (
                Some(if is_stateless(&node.kind) {
                    quote!(let done = #cell.input_done(&DEVICE, msg, &mut watched);)
                } else {
                    quote! {
                        let done = #cell.with(&DEVICE, |node| node.input_done(&DEVICE, msg, &mut watched)) == Some(true);
                    }
                }),
                quote! {
                    if done {
                        #completed(msg);
                    }
                },
            ),
            Finish::Never | Finish::Refused(_) => return None,
        };
        Some(Completion {
            input,
            watch: quote!(let mut watched = #watched_type::new(#outputs);),
            call,
            function: quote! {
                fn #completed(msg: &#msg) {
                    const SOURCE: #node_info_type = #info;
                    #completed_fn(&DEVICE, &SOURCE, msg, |msg| {
                        #delivery
                    });
                }
            },
        })
    }

    /// A timer's call of a node's hook. For a node catch nodes watch, the
    /// errors left from before are not the node's, and neither are those
    /// it reports with no message (Node-RED catches only errors that come
    /// with one): both are forgotten.
    fn timer_hook(&self, position: usize, call: TokenStream) -> TokenStream {
        if self.catchers.get(position).is_some_and(|c| !c.is_empty()) {
            quote!({
                DEVICE.forget_error();
                #call;
                DEVICE.forget_error();
            })
        } else {
            call
        }
    }

    /// Where a node sends what a timer makes it send: its output function,
    /// or nowhere when no port of it is wired.
    fn timer_outputs(&self, position: usize, output: &Ident, imports: &mut Imports) -> TokenStream {
        let outputs = self.timer_output(position, output, imports);
        quote!(&mut #outputs)
    }

    /// The output function, or `Discard`, that [`Self::timer_outputs`]
    /// borrows.
    fn timer_output(&self, position: usize, output: &Ident, imports: &mut Imports) -> TokenStream {
        let wired = self
            .receivers
            .get(position)
            .is_some_and(|ports| ports.iter().any(|p| !p.is_empty()));
        let outputs = if wired {
            quote!(#output)
        } else {
            let discard = imports.root("Discard");
            quote!(#discard)
        };
        let status = self
            .status_watchers
            .get(position)
            .filter(|w| !w.is_empty())
            .and_then(|_| self.names(position))
            .map(|names| status_name(&names));
        reporting(outputs, status.as_ref(), imports)
    }

    /// The timers that start messages: one per inject node with a schedule,
    /// the start-up and tick hooks of custom nodes, and the ticks of delay
    /// nodes.
    fn timers(&self, imports: &mut Imports) -> TokenStream {
        let timer = imports.root("Timer");
        let msg = format_ident!("Msg");
        let mut timers = Vec::new();
        // With loops, what an event put in the loop queue is delivered right
        // after it.
        let drain = (!self.loop_targets.is_empty()).then(|| quote!(drain_loopback();));
        let mut push = |first: Option<u64>,
                        every: Option<u64>,
                        schedule: Option<TokenStream>,
                        fire: TokenStream| {
            let (first, every) = (option_u64(first), option_u64(every));
            let schedule = match schedule {
                Some(schedule) => quote!(Some(&#schedule)),
                None => quote!(None),
            };
            let fire = match &drain {
                Some(drain) => quote!({ #fire; #drain }),
                None => fire,
            };
            timers.push(quote! {
                #timer {
                    first_ms: #first,
                    every_ms: #every,
                    schedule: #schedule,
                    fire: || #fire,
                }
            });
        };
        for (position, node) in self.nodes.iter().enumerate() {
            let Some(Names {
                cell,
                input,
                output,
            }) = self.names(position)
            else {
                continue;
            };
            match &node.kind {
                NodeKind::Inject(inject) if inject.fires() => {
                    let schedule = inject
                        .schedule
                        .as_ref()
                        .map(|schedule| schedule_tokens(schedule, imports));
                    push(
                        inject.once_delay_ms,
                        inject.repeat_ms,
                        schedule,
                        quote!(#input(&mut #msg::new())),
                    );
                }
                NodeKind::Custom(custom) => {
                    let outputs = self.timer_outputs(position, &output, imports);
                    if custom.has_start {
                        let start =
                            self.timer_hook(position, quote!(#cell.start(&DEVICE, #outputs)));
                        push(Some(0), None, None, start);
                    }
                    if let Some(tick) = custom.tick_ms {
                        push(
                            Some(tick),
                            Some(tick),
                            None,
                            self.timer_hook(position, quote!(#cell.tick(&DEVICE, #outputs))),
                        );
                    }
                }
                NodeKind::Delay(Delay {
                    tick_ms: Some(tick),
                    ..
                })
                | NodeKind::Join(crate::ir::Join {
                    tick_ms: Some(tick),
                    ..
                })
                | NodeKind::Batch(crate::ir::Batch {
                    tick_ms: Some(tick),
                    ..
                }) if self.completers.get(position).is_some_and(|c| !c.is_empty()) => {
                    // A delay, join or batch node that complete nodes watch
                    // tells them what it finishes with as its timer sends,
                    // sending copies (`Finishing::tick_now`).
                    let outputs = self.timer_output(position, &output, imports);
                    let watched = imports.node("Watched");
                    imports.node("Finishing");
                    let completed = format_ident!("{}_completed", input);
                    let tick = *tick;
                    let call = quote!({
                        let mut watched = #watched::new(#outputs);
                        #cell.with(&DEVICE, |node| node.tick_now(&DEVICE, &mut watched, &mut #completed));
                    });
                    push(
                        Some(tick),
                        Some(tick),
                        None,
                        self.timer_hook(position, call),
                    );
                }
                NodeKind::Debug(crate::ir::Debug {
                    status: Some(crate::ir::DebugStatus::Counter),
                    active: true,
                    ..
                }) if self
                    .status_watchers
                    .get(position)
                    .is_some_and(|w| !w.is_empty()) =>
                {
                    // A counting debug node that status nodes watch reports
                    // a count it held back when its wait is over.
                    let counter = counter_name(&cell);
                    let status = status_name(&Names {
                        cell,
                        input,
                        output,
                    });
                    push(
                        Some(COUNTER_TICK_MS),
                        Some(COUNTER_TICK_MS),
                        None,
                        quote!(#counter.tick(#status)),
                    );
                }
                NodeKind::LinkCall(crate::ir::LinkCall {
                    timeout: Some(timeout),
                    ..
                }) => {
                    // It hands the catch nodes that watch it the message
                    // of each call that times out.
                    let outputs = self.timer_output(position, &output, imports);
                    let caught = self
                        .catchers
                        .get(position)
                        .is_some_and(|c| !c.is_empty())
                        .then(|| format_ident!("{}_caught", input));
                    let outputs = catching(outputs, caught.as_ref(), imports);
                    let tick = timeout.tick_ms;
                    push(
                        Some(tick),
                        Some(tick),
                        None,
                        self.timer_hook(position, quote!(#cell.tick(&DEVICE, &mut #outputs))),
                    );
                }
                NodeKind::Delay(Delay { tick_ms, .. })
                | NodeKind::Trigger(Trigger { tick_ms, .. })
                | NodeKind::Join(crate::ir::Join { tick_ms, .. })
                | NodeKind::Batch(crate::ir::Batch { tick_ms, .. }) => {
                    if let Some(tick) = *tick_ms {
                        let outputs = self.timer_outputs(position, &output, imports);
                        push(
                            Some(tick),
                            Some(tick),
                            None,
                            self.timer_hook(position, quote!(#cell.tick(&DEVICE, #outputs))),
                        );
                    }
                }
                _ => {}
            }
        }
        let n_timers = Literal::usize_unsuffixed(timers.len());
        quote!(static TIMERS: [#timer; #n_timers] = [#(#timers),*];)
    }
}

pub fn main_rs(flow: &Flow, device_index: usize) -> String {
    let Some(device) = flow.devices.get(device_index) else {
        return String::new();
    };
    let code = DeviceCode::new(flow, device_index);
    let mut imports = Imports::default();
    let nodes = format_in_parallel(&code, &mut imports);
    let timers = code.timers(&mut imports);
    let device_type = imports.root("Device");
    let device_name = Literal::string(&device.name);
    let flow_name = Literal::string(&flow.file_name);
    let capacity = Literal::usize_unsuffixed(device.message_capacity);
    let loopback = code.loopback(&mut imports, &capacity);
    let contexts = code.context_stores(device.context_capacity);
    let use_items = imports.tokens();
    // A microcontroller has no standard library and starts at the board's
    // entry; the host starts at `main`.
    let mqtt = code.mqtt(device, &capacity);
    // With MQTT, the board starts the client's task beside the timers.
    let start = match &device.broker {
        Some(_) => quote!(run_with(&DEVICE, &TIMERS, start_mqtt)),
        None => quote!(run(&DEVICE, &TIMERS)),
    };
    // A microcontroller has no standard library and starts at the board's
    // entry; the host starts at `main`.
    let (no_std, entry) = match device.board.support_crate() {
        None => (
            quote!(),
            quote! {
                fn main() {
                    psos::host::#start
                }
            },
        ),
        Some((package, _)) => {
            let board = format_ident!("{}", package.replace('-', "_"));
            (
                quote! {
                    #![no_std]
                    #![no_main]
                },
                quote! {
                    #[#board::entry]
                    fn main() -> ! {
                        #board::#start
                    }
                },
            )
        }
    };
    // A device without nodes handles no message, and an unused alias would
    // be a warning.
    let msg_type = (!code.nodes.is_empty()).then(|| {
        quote! {
            /// A message on this device: its properties take at most this many bytes.
            type Msg = psos::Msg<#capacity>;
        }
    });
    let head = format_file(quote! {
        //! Firmware for one device of a PSOS flow: its nodes as statics,
        //! wired to each other by direct calls.
        #no_std
        #![forbid(unsafe_code)]
        // Numbers in the flow are the user's; one may look like a constant.
        #![allow(clippy::approx_constant)]

        #use_items

        #msg_type

        static DEVICE: #device_type = #device_type::new(#device_name, #flow_name);

        #contexts
    });
    let tail = format_file(quote! {
        #loopback

        #mqtt

        #timers

        #entry
    });
    separate_items(&format!("{head}{nodes}{tail}"))
}

/// Formats the node items on every core: parsing and printing Rust is most
/// of the time psosc takes on a large flow. Each thread takes a contiguous
/// run of nodes, so the output is the same whatever the number of threads.
fn format_in_parallel(code: &DeviceCode<'_>, imports: &mut Imports) -> String {
    const NODES_PER_THREAD_AT_LEAST: usize = 256;
    let n_nodes = code.nodes.len();
    let n_threads = std::thread::available_parallelism()
        .map_or(1, usize::from)
        .min(n_nodes / NODES_PER_THREAD_AT_LEAST)
        .max(1);
    let chunk = n_nodes.div_ceil(n_threads).max(1);
    let ranges: Vec<std::ops::Range<usize>> = (0..n_threads)
        .map(|thread| (thread * chunk).min(n_nodes)..((thread + 1) * chunk).min(n_nodes))
        .collect();
    let results: Vec<(String, Imports)> = if n_threads == 1 {
        ranges
            .into_iter()
            .map(|range| {
                let mut local = Imports::default();
                (code.node_items(range, &mut local), local)
            })
            .collect()
    } else {
        std::thread::scope(|scope| {
            let handles: Vec<_> = ranges
                .into_iter()
                .map(|range| {
                    scope.spawn(move || {
                        let mut local = Imports::default();
                        (code.node_items(range, &mut local), local)
                    })
                })
                .collect();
            handles
                .into_iter()
                .filter_map(|handle| handle.join().ok())
                .collect()
        })
    };
    let mut text = String::new();
    for (part, local) in results {
        text.push_str(&part);
        imports.merge(local);
    }
    text
}

/// Prints items with prettyplease.
fn format_file(items: TokenStream) -> String {
    match syn::parse2::<syn::File>(items) {
        Ok(parsed) => prettyplease::unparse(&parsed),
        // The tokens come from quote with escaped literals only, so they
        // always parse; should that ever break, the file says so where the
        // build will show it.
        Err(error) => format!("compile_error!({:?});\n", error.to_string()),
    }
}

/// Puts a blank line between top-level items, as rustfmt'd code has.
fn separate_items(code: &str) -> String {
    let mut out = String::with_capacity(code.len() + code.len() / 16);
    let mut previous = "";
    for line in code.lines() {
        let starts_item = ["static ", "fn ", "type ", "///", "#["]
            .iter()
            .any(|start| line.starts_with(start));
        let after_item =
            previous.starts_with('}') || previous.starts_with(')') || previous.ends_with(';');
        let first_use = line.starts_with("use ") && previous.starts_with("#![");
        if (starts_item && after_item) || first_use {
            out.push('\n');
        }
        out.push_str(line);
        out.push('\n');
        previous = line;
    }
    out
}

/// Whether a node keeps no state between messages.
fn is_stateless(kind: &NodeKind) -> bool {
    match kind {
        NodeKind::Switch(switch) => !switch.uses_previous() && !switch.holds_sequences(),
        NodeKind::Inject(_)
        | NodeKind::Change(_)
        | NodeKind::Debug(_)
        | NodeKind::MqttIn(_)
        | NodeKind::MqttOut(_)
        | NodeKind::Range(_)
        | NodeKind::Json(_)
        | NodeKind::Template(_)
        | NodeKind::LinkCall(_)
        | NodeKind::LinkReturn(_)
        | NodeKind::LinkAnswer
        | NodeKind::UnlinkedCall(_)
        | NodeKind::Catch(_)
        | NodeKind::Status(_)
        | NodeKind::SubflowStatus(_)
        | NodeKind::Complete(_) => true,
        NodeKind::Custom(_)
        | NodeKind::Delay(_)
        | NodeKind::Filter(_)
        | NodeKind::Trigger(_)
        | NodeKind::Split(_)
        | NodeKind::Join(_)
        | NodeKind::Batch(_)
        | NodeKind::Sort(_)
        | NodeKind::Smooth(_)
        | NodeKind::Csv(_) => false,
    }
}

/// The nodes of a device that a message can ever reach: from its timers
/// (injects with a schedule, custom nodes with hooks), its `mqtt in` nodes
/// and the wires from other devices, along its local wires. The others (an
/// inject only Node-RED's button fires, and what only it feeds) get no
/// code: it could never run.
fn reachable(flow: &Flow, device_index: usize) -> Vec<bool> {
    let has_broker = flow
        .devices
        .get(device_index)
        .is_some_and(|device| device.broker.is_some());
    let mut reached: Vec<bool> = flow
        .nodes
        .iter()
        .enumerate()
        .map(|(index, node)| {
            node.device == device_index
                && match &node.kind {
                    // On a device with a broker, any inject node can be
                    // pressed (`psos::control`).
                    NodeKind::Inject(inject) => inject.fires() || has_broker,
                    NodeKind::Custom(custom) => custom.has_start || custom.tick_ms.is_some(),
                    NodeKind::MqttIn(_) => true,
                    // Its connection status reaches status nodes even when
                    // no message does.
                    NodeKind::MqttOut(_) => flow.status_watched_by.contains_key(&index),
                    _ => false,
                }
        })
        .collect();
    for wire in flow.cut_wires() {
        let arrives_here = flow
            .nodes
            .get(wire.to)
            .is_some_and(|node| node.device == device_index);
        if let (true, Some(slot)) = (arrives_here, reached.get_mut(wire.to)) {
            *slot = true;
        }
    }
    let mut stack: Vec<NodeIndex> = (0..reached.len())
        .filter(|index| reached.get(*index) == Some(&true))
        .collect();
    while let Some(from) = stack.pop() {
        for wire in flow.wires.iter().filter(|wire| wire.from == from) {
            if let (true, Some(slot @ false)) = (flow.same_device(wire), reached.get_mut(wire.to)) {
                *slot = true;
                stack.push(wire.to);
            }
        }
        // A node's status reaches the status nodes of its device that
        // receive it.
        for watcher in flow.status_watched_by.get(&from).into_iter().flatten() {
            let here = flow
                .nodes
                .get(*watcher)
                .is_some_and(|node| node.device == device_index);
            if let (true, Some(slot @ false)) = (here, reached.get_mut(*watcher)) {
                *slot = true;
                stack.push(*watcher);
            }
        }
        // The messages a node finishes with reach the complete nodes of its
        // device that take them.
        for complete in flow.completed_by.get(&from).into_iter().flatten() {
            let here = flow
                .nodes
                .get(*complete)
                .is_some_and(|node| node.device == device_index);
            if let (true, Some(slot @ false)) = (here, reached.get_mut(*complete)) {
                *slot = true;
                stack.push(*complete);
            }
        }
        // A node's errors reach the catch nodes of its device that take them.
        for catch in flow.caught_by.get(&from).into_iter().flatten() {
            let here = flow
                .nodes
                .get(*catch)
                .is_some_and(|node| node.device == device_index);
            if let (true, Some(slot @ false)) = (here, reached.get_mut(*catch)) {
                *slot = true;
                stack.push(*catch);
            }
        }
    }
    reached
}

/// An inactive debug node does nothing on a device, so it gets no code.
fn has_code(node: &Node) -> bool {
    !matches!(&node.kind, NodeKind::Debug(debug) if !debug.active)
}

/// The start of a node's names: its type, in snake case. A custom type's
/// name comes from its Rust type, which is an identifier already.
fn type_slug(kind: &NodeKind) -> String {
    match kind {
        NodeKind::Inject(_) => "inject".to_string(),
        NodeKind::Change(_) => "change".to_string(),
        NodeKind::Switch(_) => "switch".to_string(),
        NodeKind::Debug(_) => "debug".to_string(),
        NodeKind::MqttIn(_) => "mqtt_in".to_string(),
        NodeKind::MqttOut(_) => "mqtt_out".to_string(),
        NodeKind::Range(_) => "range".to_string(),
        NodeKind::Json(_) => "json".to_string(),
        NodeKind::Delay(_) => "delay".to_string(),
        NodeKind::Template(_) => "template".to_string(),
        NodeKind::Filter(_) => "filter".to_string(),
        NodeKind::Trigger(_) => "trigger".to_string(),
        NodeKind::LinkCall(_) => "link_call".to_string(),
        NodeKind::LinkReturn(_) => "link_return".to_string(),
        NodeKind::LinkAnswer => "link_answer".to_string(),
        NodeKind::UnlinkedCall(_) => "link_call".to_string(),
        NodeKind::Split(_) => "split".to_string(),
        NodeKind::Join(_) => "join".to_string(),
        NodeKind::Batch(_) => "batch".to_string(),
        NodeKind::Sort(_) => "sort".to_string(),
        NodeKind::Smooth(_) => "smooth".to_string(),
        NodeKind::Csv(_) => "csv".to_string(),
        NodeKind::Catch(_) => "catch".to_string(),
        NodeKind::Status(_) => "status".to_string(),
        NodeKind::SubflowStatus(_) => "subflow_status".to_string(),
        NodeKind::Complete(_) => "complete".to_string(),
        NodeKind::Custom(custom) => {
            let mut slug = String::new();
            for (index, c) in custom
                .rust_path
                .last()
                .map_or("custom", String::as_str)
                .chars()
                .enumerate()
            {
                if c.is_uppercase() && index > 0 {
                    slug.push('_');
                }
                slug.extend(c.to_lowercase());
            }
            slug
        }
    }
}

/// Runs the code of the arm whose number `subject` equals: an `if` for one
/// arm, a `match` for more, as clippy wants them.
fn dispatch(subject: TokenStream, arms: Vec<(Literal, TokenStream)>) -> TokenStream {
    match arms.as_slice() {
        [] => quote!(),
        [(number, code)] => quote! {
            if #subject == #number {
                #code
            }
        },
        _ => {
            let arms = arms
                .iter()
                .map(|(number, code)| quote!(#number => { #code }));
            quote! {
                match #subject {
                    #(#arms)*
                    _ => {}
                }
            }
        }
    }
}

/// How a message reaches one receiver of a port.
enum Receiver {
    /// A direct call of its input function.
    Direct(Ident),
    /// Through the loop queue, to the receiver with this index there (when
    /// `msg.topic` matches the filter, if there is one).
    Queued(u16, Option<String>),
    /// A copy, by a direct call, when `msg.topic` matches the filter.
    IfTopic(String, Ident),
    /// A copy into the MQTT outbox, for the broker.
    Outbox,
    /// A copy into the MQTT outbox while it has room to spare (a debug
    /// node's sidebar mirror).
    OutboxIfRoom,
    /// The whole message, as JSON, to the other devices on a wire's topic,
    /// at the wire's QoS.
    Publish(String, u8),
}

/// How a node that complete nodes watch is run (see
/// `DeviceCode::completion`).
struct Completion {
    /// How the node is given the message, when not by `NodeCell::input`.
    input: Option<TokenStream>,
    /// Declares `watched`, the outputs the node is given instead.
    watch: TokenStream,
    /// Gives the complete nodes the message, when the node is done with it.
    call: TokenStream,
    function: TokenStream,
}

/// The function a node's outputs leave by, or `None` when no port is wired.
/// For a node whose errors are caught (`caught`, its function that looks
/// for one), an error it reported before sending is its own, and errors
/// its receivers left behind are not.
fn output_function(
    output: &Ident,
    msg: &Ident,
    ports: &[Vec<Receiver>],
    caught: Option<&Ident>,
) -> Option<TokenStream> {
    let arms: Vec<(Literal, TokenStream)> = ports
        .iter()
        .enumerate()
        .filter(|(_, receivers)| !receivers.is_empty())
        .map(|(port, receivers)| (Literal::usize_unsuffixed(port), fan_out(receivers)))
        .collect();
    if arms.is_empty() {
        return None;
    }
    let body = dispatch(quote!(port), arms);
    let (before, after) = match caught {
        Some(caught) => (quote!(#caught(msg);), quote!(DEVICE.forget_error();)),
        None => (quote!(), quote!()),
    };
    Some(quote! {
        fn #output(port: usize, msg: &mut #msg) {
            #before
            #body
            #after
        }
    })
}

/// A birth, close or will message of the device's broker, as a constant.
fn announcement(announcement: Option<&crate::ir::Announcement>) -> TokenStream {
    let Some(announcement) = announcement else {
        return quote!(None);
    };
    let topic = Literal::string(&announcement.topic);
    let payload = Literal::byte_string(announcement.payload.as_bytes());
    let qos = Literal::u8_unsuffixed(announcement.qos);
    let retain = announcement.retain;
    quote! {
        Some(psos::mqtt::Announcement { topic: #topic, payload: #payload, qos: #qos, retain: #retain })
    }
}

/// Delivers one message to several receivers: the first gets the original,
/// the others copies made before anyone can change it, as Node-RED does.
/// Queued receivers get their copies first, taken from the untouched message.
fn fan_out(receivers: &[Receiver]) -> TokenStream {
    let queued = receivers.iter().filter_map(|receiver| match receiver {
        Receiver::Queued(index, filter) => {
            let index = Literal::u16_unsuffixed(*index);
            let push = quote!(LOOPBACK.push(&DEVICE, #index, msg););
            Some(match filter {
                Some(filter) => {
                    let filter = Literal::string(filter);
                    quote!(if psos::nodes::topic_matches(#filter, msg) { #push })
                }
                None => push,
            })
        }
        Receiver::Outbox => Some(quote!(OUTBOX.publish(&DEVICE, msg);)),
        Receiver::OutboxIfRoom => Some(quote!(OUTBOX.offer(&DEVICE, msg);)),
        Receiver::Publish(topic, qos) => {
            let topic = Literal::string(topic);
            let qos = Literal::u8_unsuffixed(*qos);
            Some(quote!(OUTBOX.publish_msg(&DEVICE, #topic, #qos, msg);))
        }
        Receiver::Direct(_) | Receiver::IfTopic(..) => None,
    });
    let filtered = receivers.iter().filter_map(|receiver| match receiver {
        Receiver::IfTopic(filter, input) => {
            let filter = Literal::string(filter);
            Some(quote! {
                if psos::nodes::topic_matches(#filter, msg) {
                    #input(&mut msg.clone());
                }
            })
        }
        Receiver::Direct(_)
        | Receiver::Queued(..)
        | Receiver::Outbox
        | Receiver::OutboxIfRoom
        | Receiver::Publish(..) => None,
    });
    let direct: Vec<&Ident> = receivers
        .iter()
        .filter_map(|receiver| match receiver {
            Receiver::Direct(input) => Some(input),
            Receiver::Queued(..)
            | Receiver::IfTopic(..)
            | Receiver::Outbox
            | Receiver::OutboxIfRoom
            | Receiver::Publish(..) => None,
        })
        .collect();
    let calls = match direct.split_first() {
        None => quote!(),
        Some((first, rest)) => {
            let copies: Vec<Ident> = (1..=rest.len())
                .map(|n| format_ident!("copy_{}", n))
                .collect();
            quote! {
                #(let mut #copies = msg.clone();)*
                #first(msg);
                #(#rest(&mut #copies);)*
            }
        }
    };
    quote! {
        #(#queued)*
        #(#filtered)*
        #calls
    }
}

/// A node's `NodeInfo`.
fn node_info(node: &Node, imports: &mut Imports) -> TokenStream {
    let node_info = imports.root("NodeInfo");
    let id = Literal::string(&node.id);
    let name = Literal::string(&node.name);
    let type_name = Literal::string(&node.type_name);
    // `new` names a node by a non-empty name, as Node-RED's `Node.js` does;
    // `named` keeps the empty name some types copy.
    if node.name_defined && node.name.is_empty() {
        quote!(#node_info::named(#id, #name, #type_name))
    } else {
        quote!(#node_info::new(#id, #name, #type_name))
    }
}

/// A change node's rules as `psos::nodes::ChangeRule`s: a constant set on
/// or a deletion from the message in the forms that need no scratch.
/// An inject node's properties, each with the value it sets.
fn inject_props(inject: &crate::ir::Inject, imports: &mut Imports) -> Vec<TokenStream> {
    let prop_type = imports.node("InjectProp");
    inject
        .props
        .iter()
        .map(|prop| {
            let property = path(&prop.path, imports);
            let value = inject_value(&prop.value, imports);
            quote!(#prop_type { path: #property, value: #value })
        })
        .collect()
}

fn change_rules(change: &crate::ir::Change, imports: &mut Imports) -> Vec<TokenStream> {
    let rule_type = imports.node("ChangeRule");
    change
        .rules
        .iter()
        .map(|rule| match rule {
            ChangeRule::Set {
                target:
                    Property {
                        scope: Store::Msg,
                        path: target,
                    },
                value: ChangeValue::Literal(value),
            } => {
                let target = path(target, imports);
                let value = const_value(value, imports);
                quote!(#rule_type::Set { path: #target, value: #value })
            }
            ChangeRule::Delete {
                target:
                    Property {
                        scope: Store::Msg,
                        path: target,
                    },
            } => {
                let target = path(target, imports);
                quote!(#rule_type::Delete { path: #target })
            }
            ChangeRule::Set { target, value } => {
                let target = property(target, imports);
                let value = change_value(value, imports);
                quote!(#rule_type::SetValue { target: #target, value: #value })
            }
            ChangeRule::Delete { target } => {
                let target = property(target, imports);
                quote!(#rule_type::DeleteProperty { target: #target })
            }
            ChangeRule::Change {
                target,
                from,
                value,
            } => {
                let target = property(target, imports);
                let from = change_pattern(from, imports);
                let value = change_value(value, imports);
                quote!(#rule_type::Change { target: #target, from: #from, value: #value })
            }
            ChangeRule::Move {
                from,
                to,
                set_first,
            } => {
                let from = property(from, imports);
                let to = property(to, imports);
                quote!(#rule_type::Move { from: #from, to: #to, set_first: #set_first })
            }
        })
        .collect()
}

/// A property of the message or a context store, as `psos::nodes::Property`.
fn property(property: &Property, imports: &mut Imports) -> TokenStream {
    let property_type = imports.node("Property");
    let scope = store_scope(&property.scope, imports);
    let target = path(&property.path, imports);
    quote!(#property_type { scope: #scope, path: #target })
}

/// Where a property lives, as `psos::nodes::Scope`.
fn store_scope(store: &Store, imports: &mut Imports) -> TokenStream {
    let scope_type = imports.node("Scope");
    match store {
        Store::Msg => quote!(#scope_type::Msg),
        Store::Flow(_) => quote!(#scope_type::Flow),
        Store::Global => quote!(#scope_type::Global),
        Store::FlowStore(_, store) => {
            let number = Literal::u16_unsuffixed(store.number);
            quote!(#scope_type::FlowStore(#number))
        }
        Store::GlobalStore(store) => {
            let number = Literal::u16_unsuffixed(store.number);
            quote!(#scope_type::GlobalStore(#number))
        }
    }
}

/// The value a change rule sets, as `psos::nodes::ChangeValue`.
fn change_value(value: &ChangeValue, imports: &mut Imports) -> TokenStream {
    let value_type = imports.node("ChangeValue");
    match value {
        ChangeValue::Literal(literal) => {
            let value = const_value(literal, imports);
            quote!(#value_type::Const(#value))
        }
        ChangeValue::Bytes(bytes) => {
            let bytes = Literal::byte_string(bytes);
            quote!(#value_type::Bytes(#bytes))
        }
        ChangeValue::Timestamp => quote!(#value_type::Timestamp),
        ChangeValue::IsoDate => {
            let iso_text = imports.root("IsoText");
            quote!(#value_type::IsoDate(#iso_text::UTC))
        }
        ChangeValue::Property(from) => {
            let from = property(from, imports);
            quote!(#value_type::Property(#from))
        }
    }
}

/// The words of memory a change node's patterns need to find groups, as
/// the node's `V` (0 for other nodes).
fn capture_memory(kind: &NodeKind) -> usize {
    match kind {
        NodeKind::Change(change) => change.capture_words(),
        _ => 0,
    }
}

/// What a change rule looks for, as `psos::nodes::Pattern`; a regular
/// expression's two DFAs as aligned statics (`psos::regex::Finder`).
fn change_pattern(pattern: &ChangePattern, imports: &mut Imports) -> TokenStream {
    let pattern_type = imports.node("Pattern");
    match pattern {
        ChangePattern::Text { text, kind } => {
            let kind_type = imports.node("TextKind");
            let text = Literal::string(text);
            let kind = match kind {
                TextKind::Str => quote!(#kind_type::Str),
                TextKind::Num => quote!(#kind_type::Num),
                TextKind::Bool => quote!(#kind_type::Bool),
            };
            quote!(#pattern_type::Text { text: #text, kind: #kind })
        }
        ChangePattern::Regex(finder) => {
            let aligned = |bytes: &[u8]| {
                let len = Literal::usize_unsuffixed(bytes.len());
                let bytes = Literal::byte_string(bytes);
                quote!({
                    static DFA: psos::regex::Aligned<#len> = psos::regex::Aligned(*#bytes);
                    &DFA.0
                })
            };
            let forward = aligned(&finder.forward);
            let reverse = aligned(&finder.reverse);
            let groups = Literal::u8_unsuffixed(finder.groups);
            let named = finder.named;
            let captures = match &finder.captures {
                Some(captures) => {
                    let len = Literal::usize_unsuffixed(captures.words.len());
                    let words = captures
                        .words
                        .iter()
                        .map(|word| Literal::u32_unsuffixed(*word));
                    let names = captures.names.iter().map(|name| Literal::string(name));
                    quote!(Some(psos::regex::Captures::new(
                        {
                            static PROGRAM: [u32; #len] = [#(#words),*];
                            &PROGRAM
                        },
                        &[#(#names),*],
                    )))
                }
                None => quote!(None),
            };
            quote!(#pattern_type::Regex {
                finder: psos::regex::Finder::new(#forward, #reverse),
                groups: #groups,
                named: #named,
                captures: #captures,
            })
        }
        ChangePattern::Property(from) => {
            let from = property(from, imports);
            quote!(#pattern_type::Property(#from))
        }
    }
}

/// The runtime type of a node and the constant expression that builds it.
fn constructor(node: &Node, imports: &mut Imports) -> (TokenStream, TokenStream) {
    let info = node_info(node, imports);
    match &node.kind {
        NodeKind::Catch(_) => {
            let catch_type = imports.node("Catch");
            (quote!(#catch_type), quote!(#catch_type::new(#info)))
        }
        NodeKind::Status(_) => {
            let status_type = imports.node("Status");
            (quote!(#status_type), quote!(#status_type::new(#info)))
        }
        NodeKind::SubflowStatus(port) => {
            // The port reports its status as the instance.
            let port_type = imports.node("SubflowStatus");
            let node_info = imports.root("NodeInfo");
            let id = Literal::string(&port.instance_id);
            let name = Literal::string(&node.name);
            let type_name = Literal::string(&port.instance_type);
            (
                quote!(#port_type),
                quote!(#port_type::new(#node_info::new(#id, #name, #type_name))),
            )
        }
        NodeKind::Complete(_) => {
            let complete_type = imports.node("Complete");
            (quote!(#complete_type), quote!(#complete_type::new(#info)))
        }
        NodeKind::Inject(inject) => {
            let inject_type = imports.node("Inject");
            let props = inject_props(inject, imports);
            (
                quote!(#inject_type),
                quote!(#inject_type::new(#info, &[#(#props),*])),
            )
        }
        NodeKind::Change(change) => {
            let change_type = imports.node("Change");
            let rules = change_rules(change, imports);
            let memory = capture_memory(&node.kind);
            if memory > 0 {
                let memory = Literal::usize_unsuffixed(memory);
                return (
                    quote!(#change_type<0, #memory>),
                    quote!(#change_type::new(#info, &[#(#rules),*]).with_captures::<#memory>()),
                );
            }
            (
                quote!(#change_type),
                quote!(#change_type::new(#info, &[#(#rules),*])),
            )
        }
        NodeKind::Switch(switch) => {
            let switch_type = imports.node("Switch");
            let property = path(&switch.property.path, imports);
            let check_all = switch.check_all;
            let rules = switch_rules(switch, imports);
            let node_type = if switch.uses_previous() {
                quote!(#switch_type<{ Msg::CAPACITY }>)
            } else {
                quote!(#switch_type)
            };
            holding_sequences(
                switch,
                node_type,
                switch_room(switch),
                quote!(#switch_type::new(#info, #property, &[#(#rules),*], #check_all)),
                imports,
            )
        }
        NodeKind::Debug(debug) => {
            let debug_type = imports.node("Debug");
            let target_type = imports.node("DebugTarget");
            let target = match &debug.target {
                DebugTarget::WholeMessage => quote!(#target_type::WholeMessage),
                DebugTarget::Property(target) => {
                    let target = path(target, imports);
                    quote!(#target_type::Property(#target))
                }
            };
            (
                quote!(#debug_type),
                quote!(#debug_type::new(#info, #target)),
            )
        }
        NodeKind::MqttIn(mqtt_in) => {
            let in_type = imports.node("MqttIn");
            let datatype_type = imports.node("Datatype");
            let datatype = format_ident!(
                "{}",
                match mqtt_in.datatype {
                    Datatype::Auto => "Auto",
                    Datatype::Utf8 => "Utf8",
                    Datatype::Buffer => "Buffer",
                    Datatype::Base64 => "Base64",
                    Datatype::AutoDetect => "AutoDetect",
                    Datatype::Json => "Json",
                }
            );
            (
                quote!(#in_type),
                quote!(#in_type::new(#info, #datatype_type::#datatype)),
            )
        }
        NodeKind::MqttOut(mqtt_out) => {
            let out_type = imports.node("MqttOut");
            let topic = match &mqtt_out.topic {
                Some(topic) => {
                    let topic = Literal::string(topic);
                    quote!(Some(#topic))
                }
                None => quote!(None),
            };
            let qos = match mqtt_out.qos {
                Some(qos) => {
                    let qos = Literal::u8_unsuffixed(qos);
                    quote!(Some(#qos))
                }
                None => quote!(None),
            };
            let retain = match mqtt_out.retain {
                Some(retain) => quote!(Some(#retain)),
                None => quote!(None),
            };
            (
                quote!(#out_type),
                quote!(#out_type::new(#info, #topic, #qos, #retain)),
            )
        }
        NodeKind::Range(range) => {
            let range_type = imports.node("Range");
            let action_type = imports.node("RangeAction");
            let interval_type = imports.node("Interval");
            let property = path(&range.path, imports);
            let action = format_ident!(
                "{}",
                match range.action {
                    RangeAction::Scale => "Scale",
                    RangeAction::Clamp => "Clamp",
                    RangeAction::Roll => "Roll",
                    RangeAction::Drop => "Drop",
                }
            );
            let round = range.round;
            let (min_in, max_in) = (float(range.min_in), float(range.max_in));
            let (min_out, max_out) = (float(range.min_out), float(range.max_out));
            (
                quote!(#range_type),
                quote!(#range_type::new(
                    #info,
                    #property,
                    #action_type::#action,
                    #round,
                    #interval_type { min: #min_in, max: #max_in },
                    #interval_type { min: #min_out, max: #max_out },
                )),
            )
        }
        NodeKind::Json(json) => {
            let json_type = imports.node("Json");
            let action_type = imports.node("JsonAction");
            let property = path(&json.path, imports);
            let action = format_ident!(
                "{}",
                match json.action {
                    JsonAction::Convert => "Convert",
                    JsonAction::AlwaysString => "AlwaysString",
                    JsonAction::AlwaysObject => "AlwaysObject",
                }
            );
            let pretty = json.pretty;
            if json.checks_schema {
                (
                    quote!(#json_type),
                    quote!(#json_type::new(#info, #property, #action_type::#action, #pretty)),
                )
            } else {
                (
                    quote!(#json_type<false>),
                    quote!(#json_type::without_schema_check(
                        #info,
                        #property,
                        #action_type::#action,
                        #pretty
                    )),
                )
            }
        }
        NodeKind::Delay(crate::ir::Delay {
            mode: DelayMode::Burst { rate, period_ms },
            second_output,
            ..
        }) => {
            // Its places are timers, room for as many as Node-RED may run.
            let burst_type = imports.node("Burst");
            let places = crate::nodes::delay::burst_places(*rate);
            let timers = Literal::usize_unsuffixed(psos::nodes::burst_timers(places));
            let (rate, period_ms) = (float(*rate), float(*period_ms));
            (
                quote!(#burst_type<{ Msg::CAPACITY }, #timers>),
                quote!(#burst_type::new(#info, #rate, #period_ms, #second_output)),
            )
        }
        NodeKind::Delay(delay) => {
            let delay_type = imports.node("Delay");
            let mode_type = imports.node("DelayMode");
            let mode = match delay.mode {
                DelayMode::Fixed { ms, variable } => {
                    let ms = float(ms);
                    quote!(#mode_type::Fixed { ms: #ms, variable: #variable })
                }
                DelayMode::Random { first_ms, last_ms } => {
                    let (first_ms, last_ms) = (float(first_ms), float(last_ms));
                    quote!(#mode_type::Random { first_ms: #first_ms, last_ms: #last_ms })
                }
                DelayMode::Rate {
                    interval_ms,
                    drop,
                    allow_rate,
                } => {
                    let interval_ms = float(interval_ms);
                    quote!(#mode_type::Rate { interval_ms: #interval_ms, drop: #drop, allow_rate: #allow_rate })
                }
                DelayMode::Queue {
                    interval_ms,
                    allow_rate,
                } => {
                    let interval_ms = float(interval_ms);
                    quote!(#mode_type::Queue { interval_ms: #interval_ms, allow_rate: #allow_rate })
                }
                DelayMode::Timed {
                    interval_ms,
                    allow_rate,
                } => {
                    let interval_ms = float(interval_ms);
                    quote!(#mode_type::Timed { interval_ms: #interval_ms, allow_rate: #allow_rate })
                }
                DelayMode::Burst { rate, period_ms } => {
                    let (rate, period_ms) = (float(rate), float(period_ms));
                    quote!(#mode_type::Burst { rate: #rate, period_ms: #period_ms })
                }
            };
            let queue = Literal::usize_unsuffixed(delay.queue);
            let second_output = delay.second_output;
            (
                quote!(#delay_type<{ Msg::CAPACITY }, #queue>),
                quote!(#delay_type::new(#info, #mode, #second_output)),
            )
        }
        NodeKind::Template(template) => {
            let template_type = imports.node("Template");
            let property = path(&template.field.path, imports);
            let body = template_body(template, imports);
            let empty = template.empty;
            (
                quote!(#template_type),
                quote!(#template_type::new(#info, #property, #body, #empty)),
            )
        }
        NodeKind::Filter(filter) => filter_constructor(filter, info, imports),
        NodeKind::Split(split) => split_constructor(split, info, None, imports),
        NodeKind::Join(join) => join_constructor(join, info, None, imports),
        NodeKind::Sort(sort) => {
            let sort_type = imports.node("Sort");
            let config_type = imports.node("SortConfig");
            let target = optional_path(sort.target.as_ref(), imports);
            let key = path(&sort.key, imports);
            let (descending, as_number) = (sort.descending, sort.as_number);
            let queue = Literal::usize_unsuffixed(sort.queue);
            (
                quote!(#sort_type<{ Msg::CAPACITY }, #queue>),
                quote!(#sort_type::new(#info, #config_type {
                    target: #target,
                    key: #key,
                    descending: #descending,
                    as_number: #as_number,
                })),
            )
        }
        NodeKind::Batch(batch) => {
            let batch_type = imports.node("Batch");
            let mode_type = imports.node("BatchMode");
            let mode = match &batch.mode {
                crate::ir::BatchMode::Count {
                    count,
                    overlap,
                    honour_parts,
                    limit,
                } => {
                    let count = Literal::usize_unsuffixed(*count);
                    let overlap = Literal::usize_unsuffixed(*overlap);
                    let limit = Literal::usize_unsuffixed(*limit);
                    quote!(#mode_type::Count { count: #count, overlap: #overlap, honour_parts: #honour_parts, limit: #limit })
                }
                crate::ir::BatchMode::Interval {
                    interval_ms,
                    allow_empty,
                } => {
                    let interval_ms = float(*interval_ms);
                    quote!(#mode_type::Interval { interval_ms: #interval_ms, allow_empty: #allow_empty })
                }
                crate::ir::BatchMode::Concat { topics } => {
                    let topics = topics.iter().map(|topic| Literal::string(topic));
                    quote!(#mode_type::Concat { topics: &[#(#topics),*] })
                }
            };
            let queue = Literal::usize_unsuffixed(batch.queue);
            (
                quote!(#batch_type<{ Msg::CAPACITY }, #queue>),
                quote!(#batch_type::new(#info, #mode)),
            )
        }
        NodeKind::Smooth(smooth) => smooth_constructor(smooth, info, imports),
        NodeKind::Csv(csv) => csv_constructor(csv, info, imports),
        NodeKind::Trigger(trigger) => {
            let trigger_type = imports.node("Trigger");
            let config = trigger_config(trigger, imports);
            let topics = Literal::usize_unsuffixed(trigger.topics);
            (
                quote!(#trigger_type<{ Msg::CAPACITY }, #topics>),
                quote!(#trigger_type::new(#info, #config)),
            )
        }
        NodeKind::LinkCall(call) => {
            let caller = Literal::u16_unsuffixed(call.caller);
            let targets = call.dynamic.as_ref().map(|targets| {
                let target_type = imports.node("LinkTarget");
                let targets = targets.iter().map(|target| {
                    let id = match &target.id {
                        Some(id) => {
                            let id = Literal::string(id);
                            quote!(Some(#id))
                        }
                        None => quote!(None),
                    };
                    let name = Literal::string(&target.name);
                    let (near, on_tab) = (target.near, target.on_tab);
                    quote!(#target_type { id: #id, name: #name, near: #near, on_tab: #on_tab })
                });
                quote!(&[#(#targets),*])
            });
            match (&call.timeout, targets) {
                (Some(timeout), targets) => {
                    let call_type = imports.node("TimedLinkCall");
                    let waiting = Literal::usize_unsuffixed(timeout.waiting);
                    let held = Literal::usize_unsuffixed(if timeout.keeps_messages {
                        timeout.waiting
                    } else {
                        0
                    });
                    let targets = match targets {
                        Some(targets) => quote!(Some(#targets)),
                        None => quote!(None),
                    };
                    let ms = Literal::u64_unsuffixed(timeout.ms);
                    let late_port = call.late_port.then(|| quote!(.with_late_port()));
                    (
                        quote!(#call_type<{ Msg::CAPACITY }, #waiting, #held>),
                        quote!(#call_type::new(#info, #caller, #targets, #ms)#late_port),
                    )
                }
                (None, None) => {
                    let call_type = imports.node("LinkCall");
                    (quote!(#call_type), quote!(#call_type::new(#info, #caller)))
                }
                (None, Some(targets)) => {
                    let call_type = imports.node("DynamicLinkCall");
                    (
                        quote!(#call_type),
                        quote!(#call_type::new(#info, #caller, #targets)),
                    )
                }
            }
        }
        NodeKind::LinkAnswer => {
            let answer_type = imports.node("LinkAnswer");
            (quote!(#answer_type), quote!(#answer_type::new(#info)))
        }
        NodeKind::UnlinkedCall(target) => {
            let call_type = imports.node("UnlinkedCall");
            let target = Literal::string(target);
            (quote!(#call_type), quote!(#call_type::new(#info, #target)))
        }
        NodeKind::LinkReturn(link_return) => {
            let return_type = imports.node("LinkReturn");
            let callers = link_return
                .callers
                .iter()
                .map(|caller| Literal::u16_unsuffixed(*caller));
            (
                quote!(#return_type),
                quote!(#return_type::new(#info, &[#(#callers),*])),
            )
        }
        NodeKind::Custom(custom) => {
            let segments = custom
                .rust_path
                .iter()
                .map(|segment| format_ident!("{}", segment));
            let path = quote!(#(#segments)::*);
            let args = custom.args.iter().map(|arg| match arg {
                Arg::Bool(b) => quote!(#b),
                Arg::Integer(n) => {
                    let literal = Literal::u128_unsuffixed(n.unsigned_abs());
                    if *n < 0 {
                        quote!(-#literal)
                    } else {
                        quote!(#literal)
                    }
                }
                Arg::Float(n) => float(*n),
                Arg::Str(text) => {
                    let literal = Literal::string(text);
                    quote!(#literal)
                }
            });
            (quote!(#path), quote!(#path::new(#(#args),*)))
        }
    }
}

/// A template node's body, as `psos::nodes::TemplateBody`.
fn template_body(template: &crate::ir::Template, imports: &mut Imports) -> TokenStream {
    let body_type = imports.node("TemplateBody");
    match &template.body {
        TemplateBody::Mustache { tokens, json } => {
            let tokens = template_tokens(tokens, imports);
            quote!(#body_type::Mustache { tokens: #tokens, json: #json })
        }
        TemplateBody::Plain(value) => {
            let value = const_value(value, imports);
            quote!(#body_type::Plain(#value))
        }
    }
}

/// A parsed template as a constant slice of `psos::nodes::Token`.
fn template_tokens(tokens: &[TemplateToken], imports: &mut Imports) -> TokenStream {
    let token_type = imports.node("Token");
    let name_type = imports.node("Name");
    let mut name = |name: &TemplateName| {
        let parts = name.parts.iter().map(|part| Literal::string(part));
        let fallback = match &name.fallback {
            Some(text) => {
                let text = Literal::string(text);
                quote!(Some(#text))
            }
            None => quote!(None),
        };
        let context = match &name.context {
            Some(key) => {
                let key = property(key, imports);
                quote!(Some(#key))
            }
            None => quote!(None),
        };
        quote!(#name_type { parts: &[#(#parts),*], fallback: #fallback, context: #context })
    };
    let tokens: Vec<TokenStream> = tokens
        .iter()
        .map(|token| match token {
            TemplateToken::Text(text) => {
                let text = Literal::string(text);
                quote!(#token_type::Text(#text))
            }
            TemplateToken::Value {
                name: value,
                escape,
            } => {
                let value = name(value);
                quote!(#token_type::Value { name: #value, escape: #escape })
            }
            TemplateToken::Section {
                name: section,
                inverted,
                end,
            } => {
                let section = name(section);
                let end = Literal::usize_unsuffixed(*end);
                quote!(#token_type::Section { name: #section, inverted: #inverted, end: #end })
            }
        })
        .collect();
    quote!(&[#(#tokens),*])
}

/// A smooth node's type, with its room for topics and numbers, and value.
fn smooth_constructor(
    smooth: &crate::ir::Smooth,
    info: TokenStream,
    imports: &mut Imports,
) -> (TokenStream, TokenStream) {
    let smooth_type = imports.node("Smooth");
    let settings_type = imports.node("SmoothSettings");
    let action_type = imports.node("SmoothAction");
    // The variant's name is the action's Debug form.
    let action = format_ident!("{}", format!("{:?}", smooth.action));
    let count = float(smooth.count);
    let round = match smooth.round {
        Some(scale) => {
            let scale = float(scale);
            quote!(Some(#scale))
        }
        None => quote!(None),
    };
    let (reduce, by_topic) = (smooth.reduce, smooth.by_topic);
    let property = path(&smooth.path, imports);
    let topics = Literal::usize_unsuffixed(smooth.topics);
    let window = Literal::usize_unsuffixed(smooth.window);
    (
        quote!(#smooth_type<#topics, #window>),
        quote!(#smooth_type::new(#info, #settings_type {
            action: #action_type::#action,
            count: #count,
            round: #round,
            reduce: #reduce,
            by_topic: #by_topic,
            path: #property,
        })),
    )
}

/// A property path as a constant slice of `psos::PathSegment`.
/// A filter node: its memory's size in its type, its settings as one
/// constant.
fn filter_constructor(
    filter: &crate::ir::Filter,
    info: TokenStream,
    imports: &mut Imports,
) -> (TokenStream, TokenStream) {
    let filter_type = imports.node("Filter");
    let settings_type = imports.node("FilterSettings");
    let mode_type = imports.node("FilterMode");
    let gap_type = imports.node("Gap");
    let mode = format_ident!(
        "{}",
        match filter.mode {
            FilterMode::Rbe => "Rbe",
            FilterMode::Rbei => "Rbei",
            FilterMode::Deadband => "Deadband",
            FilterMode::DeadbandEq => "DeadbandEq",
            FilterMode::Narrowband => "Narrowband",
            FilterMode::NarrowbandEq => "NarrowbandEq",
        }
    );
    let gap = match filter.gap {
        Gap::Fixed(gap) => {
            let gap = float(gap);
            quote!(#gap_type::Fixed(#gap))
        }
        Gap::Percent(percent) => {
            let percent = float(percent);
            quote!(#gap_type::Percent(#percent))
        }
    };
    let start = match filter.start {
        Some(start) => {
            let start = float(start);
            quote!(Some(#start))
        }
        None => quote!(None),
    };
    let compare_input = filter.compare_input;
    let property = path(&filter.path, imports);
    let topic = match &filter.topic {
        Some(topic) => {
            let topic = path(topic, imports);
            quote!(Some(#topic))
        }
        None => quote!(None),
    };
    let topics = Literal::usize_unsuffixed(filter.topics);
    let topic_size = Literal::usize_unsuffixed(filter.topic_size);
    (
        quote!(#filter_type<#topics, #topic_size>),
        quote!(#filter_type::new(
            #info,
            #settings_type {
                mode: #mode_type::#mode,
                gap: #gap,
                start: #start,
                compare_input: #compare_input,
                path: #property,
                topic: #topic,
            },
        )),
    )
}

fn csv_constructor(
    csv: &crate::ir::Csv,
    info: TokenStream,
    imports: &mut Imports,
) -> (TokenStream, TokenStream) {
    let csv_type = imports.node("Csv");
    let settings_type = imports.node("CsvSettings");
    let header_type = imports.node("CsvHeader");
    let separator = proc_macro2::Literal::character(csv.separator);
    let line_end = Literal::string(&csv.line_end);
    let names = csv.template.iter().map(|name| match name {
        Some(name) => {
            let name = Literal::string(name);
            quote!(Some(#name))
        }
        None => quote!(None),
    });
    let header_out = format_ident!(
        "{}",
        match csv.header_out {
            CsvHeader::Never => "Never",
            CsvHeader::Always => "Always",
            CsvHeader::Once => "Once",
        }
    );
    let skip = Literal::usize_unsuffixed(csv.skip);
    let column_bytes = Literal::usize_unsuffixed(csv.column_bytes);
    // Only a node that sends all rows at once gathers rows of several
    // messages, at most a message's worth.
    let gather_bytes = if csv.all_rows {
        quote!({ Msg::CAPACITY })
    } else {
        quote!(0)
    };
    let crate::ir::Csv {
        legacy,
        all_rows,
        header_in,
        parse_numbers,
        include_empty_strings,
        include_null_values,
        ..
    } = *csv;
    (
        quote!(#csv_type<#column_bytes, #gather_bytes>),
        quote!(#csv_type::new(
            #info,
            #settings_type {
                legacy: #legacy,
                separator: #separator,
                line_end: #line_end,
                template: &[#(#names),*],
                all_rows: #all_rows,
                header_in: #header_in,
                header_out: #header_type::#header_out,
                skip: #skip,
                parse_numbers: #parse_numbers,
                include_empty_strings: #include_empty_strings,
                include_null_values: #include_null_values,
            },
        )),
    )
}

fn path(path: &Path, imports: &mut Imports) -> TokenStream {
    let segment_type = imports.root("PathSegment");
    let segments = path.iter().map(|segment| match segment {
        PathSegment::Key(key) => {
            let key = Literal::string(key);
            quote!(#segment_type::Key(#key))
        }
        PathSegment::Index(index) => {
            let index = Literal::usize_unsuffixed(*index);
            quote!(#segment_type::Index(#index))
        }
    });
    quote!(&[#(#segments),*])
}

/// A split node: room for a stream's rest in its type (the message
/// capacity when it streams, and, when complete nodes watch it, the
/// messages it keeps: `pending`), its settings as one `SplitConfig`.
fn split_constructor(
    split: &crate::ir::Split,
    info: TokenStream,
    pending: Option<usize>,
    imports: &mut Imports,
) -> (TokenStream, TokenStream) {
    let split_type = imports.node("Split");
    let config_type = imports.node("SplitConfig");
    let at_type = imports.node("SplitAt");
    let at = match &split.at {
        crate::ir::SplitAt::Text(text) => {
            let text = Literal::string(text);
            quote!(#at_type::Text(#text))
        }
        crate::ir::SplitAt::Bytes(bytes) => {
            let text = Literal::string(&String::from_utf8_lossy(bytes));
            let array = Value::Array(
                bytes
                    .iter()
                    .map(|byte| Value::Number(f64::from(*byte)))
                    .collect(),
            );
            let array = const_value(&array, imports);
            let bytes = Literal::byte_string(bytes);
            quote!(#at_type::Bytes { bytes: #bytes, text: #text, array: #array })
        }
        crate::ir::SplitAt::Length(length) => {
            let length = Literal::usize_unsuffixed(*length);
            quote!(#at_type::Length(#length))
        }
    };
    let array_length = Literal::usize_unsuffixed(split.array_length);
    let stream = split.stream;
    let key_to = optional_path(split.key_to.as_ref(), imports);
    let property_path = path(&split.path, imports);
    let property = match &split.property {
        Some(name) => {
            let name = Literal::string(name);
            quote!(Some(#name))
        }
        None => quote!(None),
    };
    let rest = if split.stream {
        quote!({ Msg::CAPACITY })
    } else {
        quote!(0)
    };
    let pending = kept_type(pending, imports);
    (
        quote!(#split_type<{ Msg::CAPACITY }, #rest #pending>),
        quote!(#split_type::new(#info, #config_type {
            at: #at,
            array_length: #array_length,
            stream: #stream,
            key_to: #key_to,
            path: #property_path,
            property: #property,
        })),
    )
}

/// A join node: its groups and their room in its type (and, when complete
/// nodes watch it, the messages it keeps: `pending`), its mode.
fn join_constructor(
    join: &crate::ir::Join,
    info: TokenStream,
    pending: Option<usize>,
    imports: &mut Imports,
) -> (TokenStream, TokenStream) {
    let join_type = imports.node("Join");
    let mode_type = imports.node("JoinMode");
    let mode = match &join.mode {
        crate::ir::JoinMode::Auto => quote!(#mode_type::Auto),
        crate::ir::JoinMode::Custom(custom) => {
            let custom_type = imports.node("CustomJoin");
            let build_type = imports.node("JoinBuild");
            let joiner_type = imports.node("Joiner");
            let build = format_ident!(
                "{}",
                match custom.build {
                    crate::ir::JoinBuild::String => "String",
                    crate::ir::JoinBuild::Buffer => "Buffer",
                    crate::ir::JoinBuild::Array => "Array",
                    crate::ir::JoinBuild::Object => "Object",
                    crate::ir::JoinBuild::Merged => "Merged",
                }
            );
            let property = optional_path(custom.path.as_ref(), imports);
            let key = path(&custom.key, imports);
            let key_name = Literal::string(&custom.key_name);
            let joiner = match &custom.joiner {
                crate::ir::Joiner::Text(text) => {
                    let text = Literal::string(text);
                    quote!(#joiner_type::Text(#text))
                }
                crate::ir::Joiner::Bytes(bytes) => {
                    let bytes = Literal::byte_string(bytes);
                    quote!(#joiner_type::Bytes(#bytes))
                }
            };
            let count = Literal::usize_unsuffixed(custom.count);
            let timeout_ms = float(custom.timeout_ms);
            let crate::ir::CustomJoin {
                count_from_parts,
                accumulate,
                use_parts,
                ..
            } = *custom;
            quote!(#mode_type::Custom(#custom_type {
                build: #build_type::#build,
                path: #property,
                key: #key,
                key_name: #key_name,
                joiner: #joiner,
                count: #count,
                count_from_parts: #count_from_parts,
                timeout_ms: #timeout_ms,
                accumulate: #accumulate,
                use_parts: #use_parts,
            }))
        }
    };
    let groups = Literal::usize_unsuffixed(join.groups);
    let group_size = Literal::usize_unsuffixed(join.group_size);
    let pending = kept_type(pending, imports);
    (
        quote!(#join_type<{ Msg::CAPACITY }, #groups, #group_size #pending>),
        quote!(#join_type::new(#info, #mode)),
    )
}

/// The type and constructor of a node that complete nodes watch and that
/// keeps the messages it finishes with later (a split that streams, a
/// join); `None` for other nodes.
fn keeping_constructor(node: &Node, imports: &mut Imports) -> Option<(TokenStream, TokenStream)> {
    let info = node_info(node, imports);
    match &node.kind {
        NodeKind::Split(split) if split.stream => {
            Some(split_constructor(split, info, Some(split.pending), imports))
        }
        NodeKind::Join(join) => Some(join_constructor(join, info, Some(join.pending), imports)),
        _ => None,
    }
}

/// The last generic argument of a node that keeps `pending` messages
/// (`, Kept<N, P>`), or nothing.
fn kept_type(pending: Option<usize>, imports: &mut Imports) -> TokenStream {
    match pending {
        Some(pending) => {
            let kept = imports.node("Kept");
            let pending = Literal::usize_unsuffixed(pending);
            quote!(, #kept<{ Msg::CAPACITY }, #pending>)
        }
        None => quote!(),
    }
}

/// A property path that may be absent, as an `Option` of a path.
fn optional_path(path_or_none: Option<&Path>, imports: &mut Imports) -> TokenStream {
    match path_or_none {
        Some(some) => {
            let some = path(some, imports);
            quote!(Some(#some))
        }
        None => quote!(None),
    }
}

/// An inject's value (also a trigger's) as a `psos::nodes::InjectValue`.
fn inject_value(value: &InjectValue, imports: &mut Imports) -> TokenStream {
    let value_type = imports.node("InjectValue");
    match value {
        InjectValue::Literal(value) => {
            let value = const_value(value, imports);
            quote!(#value_type::Const(#value))
        }
        InjectValue::Timestamp => quote!(#value_type::Timestamp),
        InjectValue::IsoDate => {
            let iso_text = imports.root("IsoText");
            quote!(#value_type::IsoDate(#iso_text::UTC))
        }
        InjectValue::Context(from) => {
            let from = property(from, imports);
            quote!(#value_type::Context(#from))
        }
        InjectValue::Bytes(bytes) => {
            let bytes = proc_macro2::Literal::byte_string(bytes);
            quote!(#value_type::Bytes(#bytes))
        }
    }
}

/// A debug node's constructor, mirroring its sidebar messages to `topic`.
fn with_sidebar(
    constructor: TokenStream,
    debug: &crate::ir::Debug,
    topic: &str,
    imports: &mut Imports,
) -> TokenStream {
    let sidebar_type = imports.node("Sidebar");
    let topic = Literal::string(topic);
    let text = |text: &Option<String>| match text {
        Some(text) => {
            let text = Literal::string(text);
            quote!(Some(#text))
        }
        None => quote!(None),
    };
    // Node-RED's flow path: the node's tab, or `global` outside one.
    let path = Literal::string(debug.z.as_deref().unwrap_or("global"));
    let (z, name, property) = (
        text(&debug.z),
        text(&debug.name),
        text(&debug.property_name),
    );
    quote!(#constructor.with_sidebar(#sidebar_type {
        topic: #topic,
        z: #z,
        path: #path,
        name: #name,
        property: #property,
    }))
}

/// A crontab's schedule as a `psos::Schedule` constant, its sets in hex.
fn schedule_tokens(schedule: &psos::cron::Schedule, imports: &mut Imports) -> TokenStream {
    let schedule_type = imports.root("Schedule");
    let hex = |set: u64| {
        format!("{set:#x}")
            .parse::<TokenStream>()
            .unwrap_or_default()
    };
    let (seconds, minutes, hours) = (
        hex(schedule.seconds),
        hex(schedule.minutes),
        hex(u64::from(schedule.hours)),
    );
    let (days_of_month, days_of_week, months) = (
        hex(u64::from(schedule.days_of_month)),
        hex(u64::from(schedule.days_of_week)),
        hex(u64::from(schedule.months)),
    );
    quote!(#schedule_type {
        seconds: #seconds,
        minutes: #minutes,
        hours: #hours,
        days_of_month: #days_of_month,
        days_of_week: #days_of_week,
        months: #months,
    })
}

/// A trigger's payload as a `psos::nodes::TriggerValue`.
/// A trigger node's configuration, as `psos::nodes::TriggerConfig`.
fn trigger_config(trigger: &Trigger, imports: &mut Imports) -> TokenStream {
    let config_type = imports.node("TriggerConfig");
    let first = trigger_value(&trigger.first, imports);
    let second = trigger_value(&trigger.second, imports);
    let duration_ms = float(trigger.duration_ms);
    let reset = match &trigger.reset {
        Some(reset) => {
            let reset = Literal::string(reset);
            quote!(Some(#reset))
        }
        None => quote!(None),
    };
    let by_topic = match &trigger.by_topic {
        Some(topic) => {
            let topic = path(topic, imports);
            quote!(Some(#topic))
        }
        None => quote!(None),
    };
    let Trigger {
        repeat,
        extend,
        override_delay,
        second_output,
        ..
    } = *trigger;
    quote!(#config_type {
        first: #first,
        second: #second,
        duration_ms: #duration_ms,
        repeat: #repeat,
        extend: #extend,
        override_delay: #override_delay,
        reset: #reset,
        by_topic: #by_topic,
        second_output: #second_output,
    })
}

fn trigger_value(op: &TriggerOp, imports: &mut Imports) -> TokenStream {
    let value_type = imports.node("TriggerValue");
    match op {
        TriggerOp::Value(value) => {
            let value = inject_value(value, imports);
            quote!(#value_type::Set(#value))
        }
        TriggerOp::Payload => quote!(#value_type::Payload),
        TriggerOp::LatestPayload => quote!(#value_type::LatestPayload),
        TriggerOp::Nothing => quote!(#value_type::Nothing),
        TriggerOp::Template(tokens) => {
            let mustache = imports.node("Mustache");
            let tokens = template_tokens(tokens, imports);
            quote!(#value_type::Template(#mustache::new(#tokens)))
        }
    }
}

/// A flow literal as a `psos::ConstValue` constant expression.
fn const_value(value: &Value, imports: &mut Imports) -> TokenStream {
    let const_type = imports.root("ConstValue");
    match value {
        Value::Null => quote!(#const_type::Null),
        Value::Bool(b) => quote!(#const_type::Bool(#b)),
        Value::Number(n) => {
            let number = float(*n);
            quote!(#const_type::Number(#number))
        }
        Value::String(s) => {
            let s = Literal::string(s);
            quote!(#const_type::Str(#s))
        }
        Value::Array(items) => {
            let items: Vec<TokenStream> = items
                .iter()
                .map(|item| const_value(item, imports))
                .collect();
            quote!(#const_type::Array(&[#(#items),*]))
        }
        Value::Object(props) => {
            let props: Vec<TokenStream> = props
                .iter()
                .map(|(key, value)| {
                    let key = Literal::string(key);
                    let value = const_value(value, imports);
                    quote!((#key, #value))
                })
                .collect();
            quote!(#const_type::Object(&[#(#props),*]))
        }
    }
}

/// A switch rule's operator; a pattern as its DFA's bytes in an aligned
/// static (`psos::regex`).
fn switch_op(op: &SwitchOp, imports: &mut Imports) -> TokenStream {
    let op_type = imports.node("SwitchOp");
    let name = match op {
        SwitchOp::Eq => "Eq",
        SwitchOp::Neq => "Neq",
        SwitchOp::Lt => "Lt",
        SwitchOp::Lte => "Lte",
        SwitchOp::Gt => "Gt",
        SwitchOp::Gte => "Gte",
        SwitchOp::Btwn => "Btwn",
        SwitchOp::Cont => "Cont",
        SwitchOp::True => "True",
        SwitchOp::False => "False",
        SwitchOp::Null => "Null",
        SwitchOp::NotNull => "NotNull",
        SwitchOp::Empty => "Empty",
        SwitchOp::NotEmpty => "NotEmpty",
        SwitchOp::Head => "Head",
        SwitchOp::Tail => "Tail",
        SwitchOp::Index => "Index",
        SwitchOp::HasKey => "HasKey",
        SwitchOp::Else => "Else",
        SwitchOp::Regex(bytes) => {
            let len = Literal::usize_unsuffixed(bytes.len());
            let bytes = Literal::byte_string(bytes);
            return quote! {
                #op_type::Regex(psos::regex::Regex::new({
                    static DFA: psos::regex::Aligned<#len> = psos::regex::Aligned(*#bytes);
                    &DFA.0
                }))
            };
        }
        SwitchOp::IsType(ty) => {
            let js_type = imports.node("JsType");
            let ty = format_ident!("{}", format!("{ty:?}"));
            return quote!(#op_type::IsType(#js_type::#ty));
        }
    };
    let name = format_ident!("{}", name);
    quote!(#op_type::#name)
}

/// A switch's rules, as `psos::nodes::SwitchRule`s.
fn switch_rules(switch: &crate::ir::Switch, imports: &mut Imports) -> Vec<TokenStream> {
    let rule_type = imports.node("SwitchRule");
    switch
        .rules
        .iter()
        .map(|rule| {
            let op = switch_op(&rule.op, imports);
            let value = switch_operand(&rule.value, imports);
            let value2 = switch_operand(&rule.value2, imports);
            quote!(#rule_type { op: #op, value: #value, value2: #value2 })
        })
        .collect()
}

/// A switch's type and constructor, within a `SequenceSwitch` that holds
/// up to `queue` messages of sequences when the switch holds sequences
/// back (`repair`, or a `tail` rule), and counts the messages of each of
/// its ports when it repairs.
/// `parameters` are those of the switch's type (its room, its context's).
fn holding_sequences(
    switch: &crate::ir::Switch,
    switch_type: TokenStream,
    parameters: TokenStream,
    constructor: TokenStream,
    imports: &mut Imports,
) -> (TokenStream, TokenStream) {
    if !switch.holds_sequences() {
        return (switch_type, constructor);
    }
    let holding_type = imports.node("SequenceSwitch");
    let queue = Literal::usize_unsuffixed(switch.queue);
    let repair = switch.repair;
    // A repairing switch counts each port's messages, one port a rule.
    let ports = Literal::usize_unsuffixed(if repair { switch.rules.len() } else { 0 });
    (
        quote!(#holding_type<{ Msg::CAPACITY }, #queue, #ports, #parameters>),
        quote!(#holding_type::new(#constructor, #repair)),
    )
}

/// The room a switch keeps for the previous value: as many bytes as a
/// message may take where a rule compares with it, none otherwise.
fn switch_room(switch: &crate::ir::Switch) -> TokenStream {
    if switch.uses_previous() {
        quote!({ Msg::CAPACITY })
    } else {
        quote!(0)
    }
}

fn switch_operand(operand: &SwitchOperand, imports: &mut Imports) -> TokenStream {
    let operand_type = imports.node("SwitchOperand");
    match operand {
        SwitchOperand::Literal(value) => {
            let value = const_value(value, imports);
            quote!(#operand_type::Const(#value))
        }
        SwitchOperand::Msg(target) => {
            let target = path(target, imports);
            quote!(#operand_type::Msg(#target))
        }
        SwitchOperand::Context(value) => {
            let value = property(value, imports);
            quote!(#operand_type::Context(#value))
        }
        SwitchOperand::Previous => quote!(#operand_type::Prev),
        SwitchOperand::Undefined => quote!(#operand_type::Undefined),
    }
}

/// An `f64` as Rust source that reads back as the same value.
fn float(n: f64) -> TokenStream {
    if n.is_nan() {
        return quote!(f64::NAN);
    }
    let magnitude = if n.is_infinite() {
        quote!(f64::INFINITY)
    } else {
        let literal = Literal::f64_unsuffixed(n.abs());
        quote!(#literal)
    };
    if n.is_sign_negative() {
        quote!(-#magnitude)
    } else {
        magnitude
    }
}

fn option_u64(value: Option<u64>) -> TokenStream {
    match value {
        Some(value) => {
            let value = Literal::u64_unsuffixed(value);
            quote!(Some(#value))
        }
        None => quote!(None),
    }
}

/// The static that holds a debug node's switch.
fn switch_name(cell: &Ident) -> Ident {
    format_ident!("{}_SWITCH", cell)
}

/// The static in which a counting debug node that status nodes watch
/// keeps its count.
fn counter_name(cell: &Ident) -> Ident {
    format_ident!("{}_COUNTER", cell)
}

/// How often a counting debug node's timer looks for a count held back:
/// such a count is reported at most this late.
const COUNTER_TICK_MS: u64 = 10;

/// The name of the function that gives status nodes a node's status.
fn status_name(names: &Names) -> Ident {
    format_ident!("{}_status", names.input)
}

/// The outputs a node is given (`outputs`, a value): as they are, or,
/// for a node whose status status nodes receive (`status`, the name of the
/// function that gives it them), wrapped to report its status there.
fn reporting(outputs: TokenStream, status: Option<&Ident>, imports: &mut Imports) -> TokenStream {
    match status {
        Some(status) => {
            let reporting = imports.root("Reporting");
            quote!(#reporting { outputs: #outputs, status: #status })
        }
        None => outputs,
    }
}

/// The outputs of a node whose errors catch nodes take (`caught`, its
/// function that looks for one): an error it reports with a message it
/// held, not the one it was given, reaches them with that message.
fn catching(outputs: TokenStream, caught: Option<&Ident>, imports: &mut Imports) -> TokenStream {
    match caught {
        Some(caught) => {
            let catching = imports.node("Catching");
            quote!(#catching { outputs: #outputs, caught: #caught })
        }
        None => outputs,
    }
}

/// The type of a delay node whose status status nodes receive, in the
/// modes where Node-RED reports it on timers of its own: the node keeps
/// what those need (`DepthReport`, `RandomCounts`); `None` in the others.
fn watched_delay_type(delay: &crate::ir::Delay, imports: &mut Imports) -> Option<TokenStream> {
    let status = match delay.mode {
        DelayMode::Rate { drop: false, .. } | DelayMode::Queue { .. } | DelayMode::Timed { .. } => {
            imports.node("DepthReport")
        }
        DelayMode::Random { .. } if delay.random_counts => imports.node("RandomCounts"),
        _ => return None,
    };
    let delay_type = imports.node("Delay");
    let queue = Literal::usize_unsuffixed(delay.queue);
    Some(quote!(#delay_type<{ Msg::CAPACITY }, #queue, #status>))
}

/// A debug node whose status status nodes receive reports it as its
/// `statusType` says.
fn with_debug_status(
    constructor: TokenStream,
    debug: &crate::ir::Debug,
    counter: &Ident,
    imports: &mut Imports,
) -> TokenStream {
    let status_type = imports.node("DebugStatus");
    let status = match &debug.status {
        Some(crate::ir::DebugStatus::Property(property)) => {
            let property = path(property, imports);
            quote!(#status_type::Property(#property))
        }
        Some(crate::ir::DebugStatus::Counter) => quote!(#status_type::Counter(&#counter)),
        // psosc refuses the other kinds on a watched node.
        _ => quote!(#status_type::Auto),
    };
    quote!(#constructor.with_status(#status))
}
