"""A simulated month of a textile company's after-sales desk (``aftersales demo``).

:func:`simulate` drives a :class:`~aftersales_core.Desk` through ``days`` working
days on the desk's calendar, starting on the day its :class:`FixedClock` shows:

* every working day, cases of all four kinds arrive at random times between
  08:30 and 17:00 (Poisson-distributed counts, :data:`RATES` per day);
* each case follows a realistic script, step by step, each step some working
  hours after the one before (working hours 08:30–17:30): consultations answered
  on the spot or referred to an engineer, some marked FAQ candidates (CON-1..3);
  complaints routed, sometimes rerouted, rejected once or twice (an individual
  case decided by a supervisor, CPL-5/6), escalated at the customer's request,
  flagged for media attention (a special case, CPL-4) or withdrawn; repairs
  guided remotely or visited, with quotes accepted or declined, valuable parts
  approved, units taken back to the workshop with a loaner (REP-4..13); returns
  approved, rejected or offered another remedy, inspected, and refunded,
  exchanged, sent to a linked repair or compensated (with a manager's approval
  above the supervisor's limit), their cause attributed (RET-1..4);
* a few cases are left waiting past their deadline, and ``desk.tick`` at 18:00
  records the breaches (SLA-2), which escalate complaints (CPL-3).

The run is reproducible: the same seed on the same desk setup records the same
events. Nothing here bypasses the desk — every step is an ordinary ``fire`` by an
actor with the role the permission policy expects, so a refusal would show up in
:attr:`SimulationResult.errors` (a healthy run has none).

>>> from datetime import datetime
>>> from aftersales_core import CHINA_TZ, Desk, FixedClock
>>> desk = Desk(clock=FixedClock(datetime(2026, 3, 2, 8, 30, tzinfo=CHINA_TZ)))
>>> result = simulate(desk, days=2, seed=7)
>>> result.first_day.isoformat(), result.last_day.isoformat(), result.errors
('2026-03-02', '2026-03-03', ())
"""

from __future__ import annotations

import heapq
import itertools
import math
import random
from collections import Counter
from collections.abc import Callable, Generator, Mapping
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from typing import Any

import attrs

from aftersales_core._frozen import FrozenDict
from aftersales_core.clock import FixedClock
from aftersales_core.desk import Desk
from aftersales_core.errors import AfterSalesError
from aftersales_core.model import Actor, Case, Department, Role
from aftersales_core.money import Money
from aftersales_core.policies.warranty import WHOLE_PRODUCT

__all__ = ["RATES", "ProgressFn", "SimulationResult", "simulate"]

#: Mean arrivals per working day, by kind.
RATES: Mapping[str, float] = FrozenDict(
    {"consultation": 12.0, "complaint": 7.0, "repair": 9.0, "return": 5.0}
)

#: ``progress(done, total, day)`` after each simulated working day.
ProgressFn = Callable[[int, int, date], None]

OPENS = time(8, 30)
CLOSES = time(17, 30)
TICKS = time(18, 0)
LAST_ARRIVAL_HOURS = 8.5  # arrivals until 17:00
DAY_HOURS = 9.0  # one working day of waiting, in working hours
SERVICE_CITY = "绍兴"


@attrs.frozen
class SimulationResult:
    """What a simulation did: cases opened by kind (linked repairs included),
    events recorded (openings, triggers, breaches), notable paths taken, and any
    refusal the desk gave a scripted step (``errors``: empty in a healthy run)."""

    seed: int
    days: int
    first_day: date
    last_day: date
    opened: Mapping[str, int]
    events: int
    breaches: int
    paths: Mapping[str, int]
    errors: tuple[str, ...]

    @property
    def cases(self) -> int:
        return sum(self.opened.values())


@attrs.frozen
class _Step:
    """Fire ``trigger`` as ``actor`` with ``data``, ``wait`` working hours after the previous step."""

    wait: float
    trigger: str
    actor: Actor
    data: Mapping[str, Any] = attrs.field(factory=dict)
    note: str = ""  # a path to count once the step is recorded


Script = Generator[_Step, Case, None]


# --------------------------------------------------------------------------- the company


def _staff(*rows: tuple[str, Role, str, Department]) -> tuple[Actor, ...]:
    return tuple(Actor(i, role, name, dept.value) for i, role, name, dept in rows)


_AGENTS = _staff(
    ("wang.li", Role.AGENT, "王丽", Department.CONSULTATION),
    ("liu.yang", Role.AGENT, "刘洋", Department.CONSULTATION),
    ("zhou.min", Role.AGENT, "周敏", Department.COMPLAINT),
    ("sun.hong", Role.AGENT, "孙红", Department.COMPLAINT),
    ("he.jing", Role.AGENT, "何静", Department.AFTERSALES),
)
_CS_SUPERVISORS = _staff(
    ("chen.jie", Role.CS_SUPERVISOR, "陈杰", Department.CONSULTATION),
    ("lin.na", Role.CS_SUPERVISOR, "林娜", Department.COMPLAINT),
)
_ENGINEERS = _staff(
    ("zhao.gang", Role.ENGINEER, "赵刚", Department.REPAIR),
    ("qian.lei", Role.ENGINEER, "钱磊", Department.REPAIR),
    ("xu.tao", Role.ENGINEER, "徐涛", Department.RND),
)
_TECHNICIANS = _staff(
    ("li.wei", Role.TECHNICIAN, "李伟", Department.REPAIR),
    ("ma.jun", Role.TECHNICIAN, "马军", Department.REPAIR),
    ("huang.bo", Role.TECHNICIAN, "黄波", Department.REPAIR),
    ("guo.qiang", Role.TECHNICIAN, "郭强", Department.REPAIR),
    ("tang.hao", Role.TECHNICIAN, "唐浩", Department.REPAIR),
)
_REPAIR_SUPERVISORS = _staff(
    ("yang.fan", Role.SERVICE_SUPERVISOR, "杨帆", Department.REPAIR),
    ("deng.hui", Role.TECH_SUPERVISOR, "邓辉", Department.REPAIR),
)
(_MANAGER,) = _staff(("li.qiang", Role.MANAGER, "李强", Department.AFTERSALES))
_WAREHOUSE = _staff(
    ("feng.li", Role.WAREHOUSE, "冯丽", Department.WAREHOUSE),
    ("jiang.tao", Role.WAREHOUSE, "蒋涛", Department.WAREHOUSE),
)
(_FINANCE,) = _staff(("zheng.yan", Role.FINANCE, "郑艳", Department.FINANCE))

_NAME_HEADS = (
    "华纺", "柯桥", "金源", "恒力", "盛虹", "永通", "天圣", "新凤", "鸿达", "锦绣", "海天", "瑞丰",
    "东升", "宏源", "佳豪", "明辉", "汇丰", "欣达", "润泽", "银河", "春晖", "正泰", "嘉禾", "红叶",
)  # fmt: skip
_NAME_TAILS = (
    "织造有限公司",
    "纺织厂",
    "布艺",
    "家纺有限公司",
    "印染厂",
    "服饰有限公司",
    "经编厂",
    "化纤有限公司",
)
_CITIES = (
    ("绍兴", "柯桥区", "0575", 40),
    ("绍兴", "越城区", "0575", 15),
    ("杭州", "萧山区", "0571", 12),
    ("苏州", "吴江区", "0512", 12),
    ("宁波", "鄞州区", "0574", 8),
    ("南通", "通州区", "0513", 8),
    ("广州", "番禺区", "020", 5),
)
_ROADS = ("纺都路", "笛扬路", "金柯桥大道", "湖中路", "鉴湖路", "工业园区纬三路", "兴业路", "环城北路")
_PARTNERS = ("金源商贸", "恒信经销部", "锦程纺织品批发")

_EQUIPMENT = (
    ("JX-9 剑杆织机", "JX9"),
    ("SL-9 智能络筒机", "SL9"),
    ("HX-200 喷气织机", "HX200"),
    ("DY-5 智能定型机", "DY5"),
)
_COMPONENTS = (
    {"name": "motor", "warranty_months": 24},
    {"name": "sensor"},
    {"name": "controller", "warranty_months": 18},
)
_FABRICS = ("FF-220 阻燃面料", "AS-200 抗静电面料", "UV-50 防紫外面料", "WR-80 防水透湿面料")
_SOFTWARE = ("TexMES 生产管理系统", "LoomLink 织机联网平台")
# part number, component ("" = the product as a whole), unit cost
_PARTS = (
    ("MTR-24", "motor", Decimal("980.00")),
    ("SNS-12", "sensor", Decimal("260.00")),
    ("CTL-7", "controller", Decimal("1650.00")),
    ("BLT-3", "", Decimal("85.00")),
    ("BRG-6", "", Decimal("120.00")),
    ("NZL-5", "", Decimal("45.00")),
    ("WFS-8", "weft sensor", Decimal("320.00")),
)

# (topic, question, weight): a few questions come up again and again (CON-3, G-9)
_QUESTIONS = (
    ("sensor calibration", "张力传感器如何重新校准？", 14),
    ("error codes", "织机面板显示 E-21 是什么意思？", 11),
    ("washing durability", "抗静电涂层能经受 50 次水洗吗？", 9),
    ("lubrication", "主轴轴承多久需要加一次润滑油？", 7),
    ("software update", "TexMES 如何升级到最新版本？", 6),
    ("fabric care", "阻燃面料可以用多高温度熨烫？", 5),
    ("spare parts", "在哪里订购纬纱传感器备件？", 4),
    ("warranty terms", "JX-9 的电机保修多久？", 4),
    ("certificates", "能否提供阻燃性能检测报告？", 3),
    ("delivery time", "5000 米 FF-220 的交货期是多久？", 2),
    ("installation", "安装是否包含操作工培训？", 2),
    ("data export", "LoomLink 能把产量数据导出到 Excel 吗？", 1),
)
_FREQUENT = frozenset(q[0] for q in _QUESTIONS[:5])

_CATEGORIES = (
    ("quality", 34),
    ("performance", 10),
    ("packaging", 12),
    ("spoilage", 5),
    ("staff_attitude", 10),
    ("negligence", 8),
    ("partner", 8),
    ("other", 13),
)
_COMPLAINTS = {
    "quality": ("阻燃涂层水洗两次后起皮。", "布面出现批量色差。", "织机运行中断纱频繁。"),
    "performance": ("防水透湿指标达不到合同要求。", "络筒机产量比承诺低 15%。"),
    "packaging": ("到货时外包装破损，面料受潮。", "木箱破裂，设备面板划伤。"),
    "spoilage": ("库存面料发霉变色。", "涂层面料存放后发粘。"),
    "staff_attitude": ("安装人员态度恶劣。", "客服电话多次无人回复。"),
    "negligence": ("安装后未做调试就离开。", "维修人员未按约定时间到场。"),
    "partner": ("经销商拒绝按约定退换。", "经销商发错面料型号。"),
    "other": ("发票开错抬头。", "宣传资料与实物不符。"),
}
_REMEDIES = {
    "quality": ("replace the faulty rolls", "re-finish the batch", "replace the yarn guide"),
    "performance": ("tune the machine on site", "price reduction on the batch"),
    "packaging": ("replace the damaged goods", "compensate the damaged rolls"),
    "spoilage": ("replace from fresh stock",),
    "staff_attitude": ("written apology and retraining", "change the service contact"),
    "negligence": ("free commissioning visit", "written apology and a free check-up"),
    "partner": ("exchange through the partner", "direct replacement from the factory"),
    "other": ("re-issue the invoice", "correct the brochure and apologise"),
}
_ROOT_CAUSES = {
    "production": ("coating line temperature drift", "dye lot mixed at packing"),
    "rnd": ("yarn guide design wears too fast", "firmware timing fault"),
    "transport": ("pallets stacked too high in transit",),
    "warehouse": ("storage humidity not controlled",),
    "marketing": ("installer not trained on the new model", "hotline understaffed"),
    "partner": ("partner not informed of the return rules",),
    "complaint_group": ("clerical error",),
}
_FAULTS = {
    "hardware": ("主电机带载停转，报 E-21。", "控制板无法上电。", "纬纱传感器频繁误报。"),
    "mechanical": ("主轴异响，振动大。", "送经机构卡死。", "皮带打滑，速度不稳。"),
    "parameters": ("换品种后张力参数不对。", "工艺参数丢失。"),
    "software": ("TexMES 报表无法导出。", "联网平台数据不同步。"),
}


# --------------------------------------------------------------------------- the simulation


def _poisson(rng: random.Random, mean: float) -> int:
    """A Poisson-distributed count (Knuth's method; fine for the small means used here)."""
    limit = math.exp(-mean)
    k, p = 0, rng.random()
    while p > limit:
        k += 1
        p *= rng.random()
    return k


class _Simulation:
    def __init__(self, desk: Desk, clock: FixedClock, rng: random.Random, days: int) -> None:
        self.desk = desk
        self.clock = clock
        self.rng = rng
        self.calendar = desk.calendar
        self.tz = clock.now().tzinfo
        first = clock.now().date()
        self.days = [first if self.calendar.is_workday(first) else self._next_workday(first)]
        while len(self.days) < days:
            self.days.append(self._next_workday(self.days[-1]))
        self.last_day = self.days[-1]
        self.heap: list[tuple[datetime, int, Callable[[], None]]] = []
        self.seq = itertools.count()
        self.opened: Counter[str] = Counter()
        self.paths: Counter[str] = Counter()
        self.events = 0
        self.breaches = 0
        self.errors: list[str] = []
        self.customers = self._customers(160)
        self.customer_weights = list(itertools.accumulate(1 / (i + 8) for i in range(len(self.customers))))

    # ------------------------------------------------------------------ time
    def _next_workday(self, day: date) -> date:
        day += timedelta(days=1)
        while not self.calendar.is_workday(day):
            day += timedelta(days=1)
        return day

    def _at(self, day: date, at: time) -> datetime:
        return datetime.combine(day, at, tzinfo=self.tz)

    def _later(self, now: datetime, hours: float) -> datetime | None:
        """``hours`` working hours after ``now``; ``None`` when that is after the last day."""
        remaining = max(0, round(hours * 3600))
        t = now
        while True:
            left = max(0, int((self._at(t.date(), CLOSES) - t).total_seconds()))
            if remaining <= left:
                return t + timedelta(seconds=remaining)
            remaining -= left
            day = t.date()
            if day >= self.last_day:
                return None
            t = self._at(self._next_workday(day), OPENS)

    def _push(self, when: datetime, action: Callable[[], None]) -> None:
        heapq.heappush(self.heap, (when, next(self.seq), action))

    # ------------------------------------------------------------------ running
    def run(self, progress: ProgressFn | None) -> None:
        for n, day in enumerate(self.days, 1):
            opens = self._at(day, OPENS)
            for kind, mean in RATES.items():
                for _ in range(_poisson(self.rng, mean)):
                    minute = self.rng.randrange(int(LAST_ARRIVAL_HOURS * 60))
                    self._push(opens + timedelta(minutes=minute), self._arrival(kind))
            end = self._at(day, TICKS)
            while self.heap and self.heap[0][0] < end:
                when, _, action = heapq.heappop(self.heap)
                self.clock.set(when)
                action()
            self.clock.set(end)
            recorded = self.desk.tick(end)
            self.breaches += len(recorded)
            self.events += len(recorded)
            if progress is not None:
                progress(n, len(self.days), day)

    def _arrival(self, kind: str) -> Callable[[], None]:
        def arrive() -> None:
            maker = {
                "consultation": self._consultation,
                "complaint": self._complaint,
                "repair": self._repair_intake,
                "return": self._return,
            }[kind]
            actor, intake, script = maker()
            try:
                case = self.desk.open(kind, actor=actor, **intake)
            except AfterSalesError as exc:
                self.errors.append(f"open {kind}: {type(exc).__name__}: {exc}")
                return
            self.opened[kind] += 1
            self.events += 1
            self._start(case, script(case))

        return arrive

    def _start(self, case: Case, script: Script) -> None:
        try:
            step = next(script)
        except StopIteration:
            return
        self._schedule(case.id, script, step)

    def _schedule(self, case_id: str, script: Script, step: _Step) -> None:
        when = self._later(self.clock.now(), step.wait)
        if when is None:
            return  # beyond the simulated days: the case stays where it is

        def fire() -> None:
            try:
                case = self.desk.fire(case_id, step.trigger, actor=step.actor, **step.data)
            except AfterSalesError as exc:
                self.errors.append(f"{case_id} {step.trigger}: {type(exc).__name__}: {exc}")
                return
            self.events += 1
            if step.note:
                self.paths[step.note] += 1
            linked = case.fact("repair_case") if step.trigger == "send_to_repair" else None
            if linked:  # the return opened a linked repair (RET-3): it is handled like any other
                self.opened["repair"] += 1
                self.events += 1
                repair = self.desk.get(linked)
                self._start(repair, self._repair(repair, linked=True))
            try:
                nxt = script.send(case)
            except StopIteration:
                return
            self._schedule(case_id, script, nxt)

        self._push(when, fire)

    # ------------------------------------------------------------------ helpers
    def _pick(self, actors: tuple[Actor, ...]) -> Actor:
        return self.rng.choice(actors)

    def _chance(self, p: float) -> bool:
        return self.rng.random() < p

    def _hours(self, lo: float, hi: float) -> float:
        return self.rng.uniform(lo, hi)

    def _left_waiting(self, days: float = 2.0) -> float:
        """Working hours that let a deadline of ``days`` working days pass, and the tick see it."""
        # from any hour of the day the case came in, past the deadline day's close and its tick
        return self.rng.uniform((days + 2) * DAY_HOURS + 0.1, (days + 2.5) * DAY_HOURS)

    def _satisfaction(self, good: bool) -> int:
        weights = (45, 35, 12, 5, 3) if good else (8, 20, 32, 25, 15)
        return self.rng.choices((5, 4, 3, 2, 1), weights)[0]

    def _customers(self, n: int) -> list[dict[str, str]]:
        rng = self.rng
        names = [h + t for h in _NAME_HEADS for t in _NAME_TAILS]
        rng.shuffle(names)
        out = []
        for i, name in enumerate(names[:n], 1):
            city, district, area, _ = rng.choices(_CITIES, [c[3] for c in _CITIES])[0]
            if rng.random() < 0.5:
                phone = f"{area}-8{rng.randrange(100, 1000)}-{rng.randrange(1000, 10000)}"
            else:
                phone = f"1{rng.choice('35789')}{rng.randrange(10**9):09d}"
            out.append(
                {
                    "id": f"C-{i:04d}",
                    "name": name,
                    "phone": phone,
                    "address": f"{city}市{district}{rng.choice(_ROADS)}{rng.randrange(1, 400)}号",
                    "city": city,
                    "partner": rng.choice(_PARTNERS) if rng.random() < 0.12 else "",
                }
            )
        return out

    def _customer(self) -> dict[str, str]:
        # regular customers call more often than the rest
        return dict(self.rng.choices(self.customers, cum_weights=self.customer_weights)[0])

    def _channel(self) -> str:
        return self.rng.choices(("phone", "online", "email", "visit", "letter"), (45, 25, 18, 8, 4))[0]

    def _equipment(self, *, old: bool | None = None) -> dict[str, Any]:
        model, code = self.rng.choice(_EQUIPMENT)
        today = self.clock.now().date()
        if old is None:
            old = self._chance(0.35)
        age = self.rng.randrange(380, 900) if old else self.rng.randrange(20, 340)
        return {
            "model": model,
            "line": "smart_equipment",
            "serial": f"{code}-{today.year - age // 365}-{self.rng.randrange(1, 10000):04d}",
            "purchase_date": today - timedelta(days=age),
            "components": _COMPONENTS,
        }

    # ------------------------------------------------------------------ consultations (CON)
    def _consultation(self) -> tuple[Actor, dict[str, Any], Callable[[Case], Script]]:
        topic, question, _ = self.rng.choices(_QUESTIONS, [q[2] for q in _QUESTIONS])[0]
        intake: dict[str, Any] = {
            "customer": self._customer(),
            "channel": self._channel(),
            "question": question,
        }
        if topic in ("washing durability", "fabric care", "delivery time"):
            intake["product"] = {"model": self.rng.choice(_FABRICS), "line": "functional_fabric"}
        agent = self._pick(_AGENTS[:2] + _AGENTS[4:])
        return agent, intake, lambda case: self._consult(case, agent, topic)

    def _consult(self, case: Case, agent: Actor, topic: str) -> Script:
        frequent = topic in _FREQUENT
        marked = frequent and self._chance(0.7)  # CON-3: a frequent question, candidate for the FAQ
        answer = {"answer": f"答复：{topic}（见技术手册）", "topic": topic, "faq_candidate": marked}
        late = False
        if self._chance(0.62):  # answered on the spot (CON-1)
            late = self._chance(0.04)
            wait = self._left_waiting(1) if late else self._hours(0.05, 3)
            yield _Step(wait, "answer", agent, answer, "consultation.late" if late else "")
        else:  # referred to a specialist (CON-2)
            engineer = self._pick(_ENGINEERS)
            contact = self.rng.choice(("phone", "email", "wechat"))
            yield _Step(
                self._hours(0.1, 2),
                "refer",
                agent,
                {"to": engineer.id, "contact": contact},
                "consultation.referred",
            )
            late = self._chance(0.1)
            wait = self._left_waiting(2) if late else self._hours(1, 12)
            yield _Step(wait, "answer", engineer, answer, "consultation.late" if late else "")
        if self._chance(0.12):
            return  # no feedback from the customer (yet)
        yield _Step(self._hours(0.5, 12), "close", agent, {"satisfaction": self._satisfaction(not late)})
        if self._chance(0.3):
            faq = frequent and self._chance(0.8)
            notes = "FAQ entry drafted" if faq else "answer checked"
            yield _Step(
                self._hours(1, 16), "review", self._pick(_CS_SUPERVISORS), {"notes": notes, "faq": faq}
            )

    # ------------------------------------------------------------------ complaints (CPL)
    def _complaint(self) -> tuple[Actor, dict[str, Any], Callable[[Case], Script]]:
        rng = self.rng
        category = rng.choices([c for c, _ in _CATEGORIES], [w for _, w in _CATEGORIES])[0]
        intake: dict[str, Any] = {
            "customer": self._customer(),
            "channel": self._channel(),
            "category": category,
            "description": rng.choice(_COMPLAINTS[category]),
        }
        if category in ("quality", "performance"):
            if rng.random() < 0.6:
                intake["product"] = {"model": rng.choice(_FABRICS), "line": "functional_fabric"}
            else:
                intake["product"] = {"model": rng.choice(_EQUIPMENT)[0], "line": "smart_equipment"}
        elif category in ("packaging", "spoilage", "partner"):
            intake["product"] = {"model": rng.choice(_FABRICS), "line": "functional_fabric"}
        elif category in ("staff_attitude", "negligence") and rng.random() < 0.6:
            intake["product"] = {"model": rng.choice(_EQUIPMENT)[0], "line": "smart_equipment"}
        if category == "partner":
            intake["partner"] = rng.choice(_PARTNERS)
        if rng.random() < 0.03:
            intake["risk_flags"] = (rng.choice(("media", "litigation")),)  # a special case from intake
        elif rng.random() < 0.03:
            intake["urgent"] = True
        agent = self._pick(_AGENTS[2:4])
        return agent, intake, lambda case: self._handle_complaint(case, agent)

    def _handle_complaint(self, case: Case, agent: Actor) -> Script:
        rng = self.rng
        sup = self._pick(_CS_SUPERVISORS)
        late = self._chance(0.07)
        wait = self._left_waiting(1) if late else self._hours(0.2, 4)
        case = yield _Step(wait, "route", agent, {}, "complaint.late_response" if late else "")
        if self._chance(0.04):
            who = _MANAGER if "special" in case.flags else agent  # G-7: a special case needs a manager
            yield _Step(self._hours(1, 8), "cancel", who, {"reason": "客户撤回投诉"}, "complaint.cancelled")
            return
        department = str(case.fact("department"))
        if self._chance(0.05):
            options = sorted({"production", "rnd", "transport", "warehouse", "marketing"} - {department})
            department = rng.choice(options)
            reason = "问题出在生产批次，不是设计" if department == "production" else "初步核实后改派"
            case = yield _Step(
                self._hours(0.5, 4),
                "reroute",
                sup,
                {"department": department, "reason": reason},
                "complaint.rerouted",
            )
        owner = self._pick(_ENGINEERS) if department in ("production", "rnd") else self._pick(_AGENTS[2:4])
        case = yield _Step(self._hours(0.5, 6), "start", agent, {"owner": owner.id, "note": "已联系客户"})
        if self._chance(0.04):
            flag = rng.choice(("media", "litigation", "credibility"))
            case = yield _Step(
                self._hours(1, 6),
                "promote_special",
                sup,
                {"flag": flag, "note": "客户表示将联系媒体"},
                "complaint.special",
            )
        if self._chance(0.07) and int(case.fact("level", 0)) < 3:
            data = {"reason": "客户要求主管处理", "requested_by_customer": True}
            case = yield _Step(self._hours(0.5, 4), "escalate", agent, data, "complaint.escalated")
        remedies = _REMEDIES[str(case.intake["category"])]
        category = str(case.intake["category"])
        rounds = 0
        while True:
            remedy = remedies[min(rounds, len(remedies) - 1)]
            case = yield _Step(self._hours(2, 14), "propose_resolution", owner, {"remedy": remedy}, "")
            rejects = self._chance(0.2 if rounds == 0 else 0.4)
            if not rejects:
                case = yield _Step(self._hours(1, 12), "customer_accepts", agent, {}, "complaint.accepted")
                decided = False
                break
            rounds += 1
            case = yield _Step(
                self._hours(1, 12),
                "customer_rejects",
                agent,
                {"reason": "客户认为方案不够"},
                "complaint.rejected",
            )
            if "individual" in case.flags or rounds >= 2:  # CPL-5: settled by an authorised role (CPL-6)
                reason = "方案符合合同约定，按个案裁定"
                case = yield _Step(self._hours(1, 8), "decide", sup, {"reason": reason}, "complaint.decided")
                decided = True
                break
        case = yield _Step(
            self._hours(2, 18), "record_feedback", agent, {"satisfaction": self._satisfaction(not decided)}
        )
        if self._chance(0.65):
            concerned = str(case.fact("department"))
            if concerned not in _ROOT_CAUSES or self._chance(0.1):
                concerned = {"packaging": "transport", "spoilage": "warehouse"}.get(category, "production")
            data = {
                "root_cause": rng.choice(_ROOT_CAUSES[concerned]),
                "preventive_measures": "纳入月度质量会议跟踪整改",
                "responsible_department": concerned,
                "case_report": "special" in case.flags,
            }
            yield _Step(self._hours(2, 24), "review", sup, data, "complaint.reviewed")

    # ------------------------------------------------------------------ repairs (REP)
    def _repair_intake(self) -> tuple[Actor, dict[str, Any], Callable[[Case], Script]]:
        rng = self.rng
        customer = self._customer()
        if rng.random() < 0.2:
            kind = rng.choice(("software", "parameters"))
            today = self.clock.now().date()
            product: dict[str, Any] = {
                "model": rng.choice(_SOFTWARE),
                "line": "software",
                "purchase_date": today - timedelta(days=rng.randrange(30, 700)),
            }
        else:
            kind = rng.choices(("hardware", "mechanical", "parameters"), (45, 30, 25))[0]
            product = self._equipment()
        intake = {
            "customer": customer,
            "channel": self._channel(),
            "product": product,
            "fault": rng.choice(_FAULTS[kind]),
            "fault_kind": kind,
            "service_city": SERVICE_CITY,
        }
        agent = self._pick(_AGENTS)
        return agent, intake, lambda case: self._repair(case)

    def _in_warranty(self, case: Case, component: str) -> bool:
        table = case.fact("warranty") or {}
        entry = table.get(component or WHOLE_PRODUCT) or table.get(WHOLE_PRODUCT) or {}
        return bool(entry.get("in_warranty"))

    def _repair(self, case: Case, *, linked: bool = False) -> Script:
        """A repair from its report: remote guidance (REP-4) for software and parameter
        faults, else a visit; a repair opened from a return picks the unit up (REP-8)."""
        agent = self._pick(_AGENTS)
        software = case.product is not None and case.product.line.value == "software"
        if not linked and case.intake.get("fault_kind") in ("software", "parameters"):
            engineer = self._pick(_ENGINEERS)
            late = self._chance(0.05)
            wait = self._left_waiting(2) if late else self._hours(0.5, 4)
            case = yield _Step(wait, "plan_remote", agent, {"engineer": engineer.id}, "repair.remote")
            if software or self._chance(0.8):
                yield from self._remote(case, engineer, agent)
                return
            data: dict[str, Any] = {"note": "远程指导未解决，改为上门"}
        else:
            data = {}
        if linked or not case.intake.get("service_city") or not case.customer.city:
            data["same_city"] = case.customer.city == SERVICE_CITY
        note = "repair.linked" if linked else "repair.visit"
        case = yield _Step(self._hours(0.3, 4), "schedule_visit", agent, data, note)
        yield from self._visit(case, agent, take_back=linked or self._chance(0.15))

    def _settle_and_review(self, case: Case, agent: Actor) -> Script:
        rng = self.rng
        sat = self._satisfaction(bool(case.fact("on_time")))
        case = yield _Step(
            self._hours(0.2, 6), "sign_off", agent, {"signed_by": "客户设备科", "satisfaction": sat}
        )
        if case.state == "awaiting_settlement":
            ref = f"SK-{case.id}"
            case = yield _Step(self._hours(1, 16), "settle", _FINANCE, {"reference": ref}, "repair.settled")
        if self._chance(0.9):
            on_time = bool(case.fact("on_time"))
            data = {
                "time_rating": rng.choice((4, 5, 5)) if on_time else rng.choice((2, 3)),
                "quality_rating": rng.choices((5, 4, 3, 2), (40, 40, 15, 5))[0],
                "notes": "按时完成" if on_time else "超出承诺时间",
                "case_report": self._chance(0.05),
            }
            yield _Step(
                self._hours(2, 24), "review", self._pick(_REPAIR_SUPERVISORS), data, "repair.reviewed"
            )

    def _quote(
        self, case: Case, lines: list[dict[str, Any]], actor: Actor, agent: Actor
    ) -> Generator[_Step, Case, bool]:
        """Quote the chargeable lines and wait for the customer (REP-7, SLA-3); True if accepted."""
        case = yield _Step(
            self._hours(0.2, 2), "quote", actor, {"lines": lines, "note": "超保或人为损坏，收费项目"}
        )
        no = str(case.fact("pending_quote"))
        wait = self._hours(2, 20)
        if self._chance(0.8):
            yield _Step(
                wait, "consent", agent, {"quote_no": no, "signed_by": "客户设备科"}, "repair.quote_accepted"
            )
            return True
        yield _Step(wait, "decline", agent, {"quote_no": no, "reason": "价格太高"}, "repair.quote_declined")
        return False

    def _remote(self, case: Case, engineer: Actor, agent: Actor) -> Script:
        qty = str(self.rng.choice(("0.5", "1", "1.5", "2")))
        line = {"kind": "labour", "item": "remote_support", "qty": qty}
        work = True
        if not self._in_warranty(case, ""):
            work = yield from self._quote(case, [line], engineer, agent)
        if work:
            case = yield _Step(self._hours(0.5, 6), "record_work", engineer, line)
        report = {
            "test_result": "客户确认恢复正常",
            "explanation": "已讲解参数设置方法",
            "report": "远程指导完成",
        }
        case = yield _Step(self._hours(0.5, 8), "complete", engineer, report)
        yield from self._settle_and_review(case, agent)

    def _visit(self, case: Case, agent: Actor, *, take_back: bool) -> Script:
        rng = self.rng
        tech = self._pick(_TECHNICIANS)
        sup = _REPAIR_SUPERVISORS[0]
        case = yield _Step(self._hours(0.3, 6), "dispatch", sup, {"technician": tech.id})
        same_city = bool(case.fact("same_city"))
        late = self._chance(0.06)
        if late:
            wait = self._left_waiting(3 if same_city else 5)
        else:
            wait = self._hours(3, 16) if same_city else self._hours(9, 30)
        badge = f"TECH-{tech.id.upper()}"
        case = yield _Step(wait, "arrive", tech, {"badge": badge}, "repair.late_visit" if late else "")
        fabric = case.product is not None and case.product.line.value != "smart_equipment"
        # user damage (人为损坏): found on site, or what the return's inspection found
        user_damage = self._chance(0.1) or "人为损坏" in str(case.intake["fault"])
        travel = "travel_same_city" if same_city else "travel_other_city"
        lines: list[dict[str, Any]] = [
            {"kind": "travel", "item": travel, "qty": "1", "user_damage": user_damage},
            {
                "kind": "labour",
                "item": "labour",
                "qty": rng.choice(("1", "1.5", "2", "3", "4")),
                "user_damage": user_damage,
            },
        ]
        if not fabric and rng.random() < 0.75:
            fitted = {c.name for c in case.product.components} if case.product is not None else set()
            part, component, cost = rng.choice([p for p in _PARTS if not p[1] or p[1] in fitted])
            lines.append(
                {
                    "kind": "part",
                    "item": part,
                    "component": component,
                    "qty": "1",
                    "unit_cost": str(cost),
                    "user_damage": user_damage,
                }
            )
        chargeable = [
            ln for ln in lines if ln["user_damage"] or not self._in_warranty(case, ln.get("component", ""))
        ]
        accepted = True
        if chargeable:
            accepted = yield from self._quote(case, chargeable, tech, agent)
        doing = lines if accepted else [ln for ln in lines if ln not in chargeable]
        if not doing:
            yield _Step(
                self._hours(0.2, 2), "cancel", agent, {"reason": "客户拒绝报价，不维修"}, "repair.cancelled"
            )
            return
        on_site = [ln for ln in doing if ln["kind"] == "travel"] if take_back else doing
        in_shop = [ln for ln in doing if ln not in on_site]
        for ln in on_site:
            case = yield from self._book(case, ln, tech)
        if take_back:
            loaner = ""
            if self._chance(0.6):
                loaner = f"LN-{rng.randrange(1, 40):02d}"
                case = yield _Step(
                    self._hours(0.2, 1), "lend_loaner", tech, {"loaner": loaner}, "repair.loaner"
                )
            receipt = f"RCPT-{case.id}"
            data = {"receipt_no": receipt, "reason": "现场无法修复，带回维修"}
            case = yield _Step(self._hours(0.2, 1), "take_back", tech, data, "repair.take_back")
            first = True
            for ln in in_shop:
                case = yield from self._book(case, ln, tech, wait=self._hours(9, 30) if first else None)
                first = False
            if loaner:
                case = yield _Step(self._hours(2, 12), "return_loaner", tech, {"loaner": loaner})
            case = yield _Step(self._hours(1, 8), "deliver", tech, {"receipt_no": receipt})
        report = {
            "test_result": "满载试车 8 小时正常",
            "explanation": "已讲解日常保养：保持通风、每月润滑",
            "report": "更换配件并调试" if any(ln["kind"] == "part" for ln in doing) else "调整后恢复正常",
        }
        case = yield _Step(self._hours(0.5, 4), "complete", tech, report)
        yield from self._settle_and_review(case, agent)

    def _book(
        self, case: Case, line: dict[str, Any], tech: Actor, wait: float | None = None
    ) -> Generator[_Step, Case, Case]:
        """Record one line of work: a part (with its certificate; approved first when
        valuable, REP-13) or labour/travel (REP-7)."""
        start = self._hours(0.2, 2) if wait is None else wait
        if line["kind"] == "part":
            value = Money(Decimal(line["unit_cost"]) * Decimal(line["qty"]))
            limit = self.desk.policies.permissions.limit_for(tech.role, "part")
            if limit is not None and value > limit:
                data = {"part": line["item"], "unit_cost": line["unit_cost"], "note": "贵重配件"}
                case = yield _Step(
                    start, "approve_part", _REPAIR_SUPERVISORS[0], data, "repair.valuable_part"
                )
                start = self._hours(0.2, 2)
            data = {
                "part": line["item"],
                "component": line["component"],
                "qty": line["qty"],
                "unit_cost": line["unit_cost"],
                "user_damage": line["user_damage"],
                "certificate": f"CERT-{line['item']}-{case.id}",
            }
            case = yield _Step(start, "use_part", tech, data)
        else:
            case = yield _Step(start, "record_work", tech, line)
        return case

    # ------------------------------------------------------------------ returns (RET)
    def _return(self) -> tuple[Actor, dict[str, Any], Callable[[Case], Script]]:
        rng = self.rng
        today = self.clock.now().date()
        days = rng.choices((rng.randrange(0, 7), rng.randrange(7, 16), rng.randrange(16, 60)), (40, 35, 25))[
            0
        ]
        delivered = today - timedelta(days=days)
        if rng.random() < 0.6:
            product = self._equipment(old=False)
            product["components"] = ({"name": "weft sensor", "warranty_months": 12, "value": "800"},)
            price = Decimal(rng.randrange(30, 120) * 1000)
        else:
            product = {"model": rng.choice(_FABRICS), "line": "functional_fabric"}
            price = Decimal(rng.randrange(20, 300) * 100)
        product["delivery_date"] = delivered
        product["purchase_date"] = delivered - timedelta(days=rng.randrange(2, 10))
        intake = {
            "customer": self._customer(),
            "channel": self._channel(),
            "product": product,
            "description": rng.choice(
                ("到货后运行不稳定，要求处理。", "面料有瑕疵，影响使用。", "与订单型号不符。")
            ),
            "remedy": rng.choices(("refund", "exchange", "repair"), (45, 35, 20))[0],
            "problem": "other" if rng.random() < 0.04 else "quality",
            "price": str(price),
        }
        agent = self._pick(_AGENTS)
        return agent, intake, lambda case: self._handle_return(case, agent)

    def _handle_return(self, case: Case, agent: Actor) -> Script:
        rng = self.rng
        sup = self._pick(_CS_SUPERVISORS)
        if self._chance(0.04):
            yield _Step(self._hours(0.5, 8), "cancel", agent, {"reason": "客户撤回申请"}, "return.cancelled")
            return
        eligible = tuple(case.fact("eligibility")["remedies"])
        asked = str(case.intake["remedy"])
        late = self._chance(0.06)
        wait = self._left_waiting(2) if late else self._hours(0.5, 10)
        note = "return.late_review" if late else ""
        if not eligible or (asked not in eligible and self._chance(0.35)) or self._chance(0.03):
            case = yield _Step(
                wait, "reject", sup, {"reason": "不符合已公布的退换货规定"}, note or "return.rejected"
            )
            if self._chance(0.2):
                yield _Step(self._hours(2, 24), "review", sup, {"notes": "驳回依据已告知客户"})
            return
        data: dict[str, Any] = (
            {} if asked in eligible else {"remedy": eligible[0], "note": "按规定改为" + eligible[0]}
        )
        case = yield _Step(wait, "approve", sup, data, note)
        receiver = self._pick(_WAREHOUSE)
        tracking = f"SF{rng.randrange(10**9, 10**10)}"
        case = yield _Step(self._hours(9, 27), "receive_goods", receiver, {"tracking": tracking})
        finding = rng.choices(
            ("quality_defect", "no_defect", "user_damage", "transport_damage", "packaging"),
            (58, 12, 10, 12, 8),
        )[0]
        inspect: dict[str, Any] = {"finding": finding, "notes": "台架检验"}
        if finding == "quality_defect":
            inspect["severity"] = rng.choices(("severe", "moderate", "minor"), (35, 40, 25))[0]
        case = yield _Step(self._hours(1, 9), "inspect", self._pick(_ENGINEERS), inspect)
        rec = case.fact("inspection")
        remedies = tuple(rec["remedies"])
        approved = str(case.fact("approved_remedy"))
        attribute: dict[str, Any] = {}
        if rec["department"] is None:
            attribute = {"department": Department.SALES.value, "cause": "无质量问题，客户预期不符"}
        if not remedies or (rec["paid"] and self._chance(0.4)):
            case = yield _Step(self._hours(1, 8), "attribute", sup, attribute)
            yield from self._close_return(case, agent, sup, good=False, note="return.nothing_owed")
            return
        if "compensation" in remedies and self._chance(0.15):
            remedy = "compensation"
        elif approved in remedies:
            remedy = approved
        else:
            remedy = remedies[0]
        if remedy == "refund":
            late = self._chance(0.08)
            wait = self._left_waiting(3) if late else self._hours(2, 18)
            case = yield _Step(wait, "refund", _FINANCE, {"note": "原路退回"}, "return.refund")
        elif remedy == "exchange":
            serial = f"EX-{rng.randrange(10000, 100000)}"
            data = {"serial": serial, "carrier": "SF", "tracking": f"SF{rng.randrange(10**9, 10**10)}"}
            case = yield _Step(
                self._hours(2, 18), "ship_exchange", self._pick(_WAREHOUSE), data, "return.exchange"
            )
        elif remedy == "repair":
            case = yield _Step(
                self._hours(1, 8), "send_to_repair", agent, {"note": "转维修组"}, "return.repair"
            )
        else:
            amount = Decimal(rng.randrange(30, 600) * 10)
            reason = "停机损失补偿"
            if amount > Decimal(2000):  # above the supervisor's limit: the manager approves first (RET-3)
                data = {"amount": str(amount), "reason": reason}
                case = yield _Step(self._hours(1, 10), "approve_compensation", _MANAGER, data)
                who = agent
            else:
                who = sup
            case = yield _Step(
                self._hours(1, 10),
                "compensate",
                who,
                {"amount": str(amount), "reason": reason},
                "return.compensation",
            )
        if self._chance(0.3):
            attribute["person"] = rng.choice(("三号线班长", "包装组 B 班", "物流承运商"))
        case = yield _Step(self._hours(1, 10), "attribute", sup, attribute)
        yield from self._close_return(case, agent, sup, good=True)

    def _close_return(self, case: Case, agent: Actor, sup: Actor, *, good: bool, note: str = "") -> Script:
        if self._chance(0.1):
            return  # the customer has not given feedback yet
        yield _Step(self._hours(1, 16), "close", agent, {"satisfaction": self._satisfaction(good)}, note)
        if self._chance(0.3):
            yield _Step(self._hours(2, 24), "review", sup, {"notes": "责任已落实"})


def simulate(
    desk: Desk,
    days: int = 20,
    seed: int = 1,
    progress: ProgressFn | None = None,
) -> SimulationResult:
    """Run ``days`` working days of the after-sales desk on ``desk``, from the day its
    clock shows (the next working day if that is a day off).

    ``desk.clock`` must be a :class:`~aftersales_core.FixedClock`: the simulation moves
    it through each working day (and leaves it at 18:00 of the last one).
    ``progress(done, total, day)`` is called after each day.
    """
    if isinstance(days, bool) or not isinstance(days, int) or days < 1:
        raise ValueError(f"days must be a whole number of working days >= 1, not {days!r}")
    clock = desk.clock
    if not isinstance(clock, FixedClock):
        raise TypeError("simulate() moves the desk's clock: build the desk with a FixedClock")
    sim = _Simulation(desk, clock, random.Random(seed), days)
    sim.run(progress)
    return SimulationResult(
        seed=seed,
        days=days,
        first_day=sim.days[0],
        last_day=sim.last_day,
        opened=FrozenDict(sorted(sim.opened.items())),
        events=sim.events,
        breaches=sim.breaches,
        paths=FrozenDict(sorted(sim.paths.items())),
        errors=tuple(sim.errors),
    )
