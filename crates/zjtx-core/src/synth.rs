//! A synthetic city: realistic enterprises for demos, tests and benchmarks, deterministic for a seed.
//!
//! Revenue is log-normal (most firms small, a long tail of large ones), the other figures follow from
//! it with plausible ratios, a few percent of every optional cell is left blank, and every USCC is
//! valid and unique (the serial part is a bijection of the row number).

use chrono::NaiveDate;
use rand::{RngExt, SeedableRng};
use rand_chacha::ChaCha8Rng;

use crate::enterprise::{AwardLevel, DISTRICTS, Enterprise, Incident, MakersChina, RdInstitution};
use crate::ids::{IndustryCode, Uscc};
use crate::num::{Dec4, SCALE, Wan};

/// (ecosystem, industry codes typical of it)
const SECTORS: &[(&str, &[&str])] = &[
    (
        "智能物联",
        &[
            "C3981", "C3971", "C3921", "C4011", "I6513", "I6511", "I6520", "C3963",
        ],
    ),
    (
        "生物医药",
        &["C2761", "C2720", "C2740", "C3581", "C3584", "M7340"],
    ),
    (
        "高端装备",
        &[
            "C3411", "C3421", "C3491", "C3562", "C3670", "C3812", "C3842",
        ],
    ),
    ("新材料", &["C2929", "C2653", "C3311", "C3091", "C2662"]),
    (
        "绿色能源",
        &["C3825", "C3841", "C3849", "D4415", "C3461", "N7723"],
    ),
];
/// Codes of firms outside the five ecosystems (services, trade, construction…).
const OTHER_CODES: &[&str] = &[
    "F5179", "F5299", "G5990", "G5431", "K7020", "L7212", "E4813", "M7320", "M7520", "H6210",
    "I6540", "R8710",
];
const NAME_HEADS: &[&str] = &[
    "华", "创", "中", "新", "博", "海", "瑞", "智", "联", "恒", "卓", "信", "安", "景", "天", "宏",
    "正", "元", "睿", "晶",
];
const NAME_TAILS: &[&str] = &[
    "科技", "智能", "电子", "医药", "材料", "装备", "能源", "信息", "精密", "生物", "光电", "数据",
];
const NAME_KINDS: &[&str] = &["有限公司", "股份有限公司"];
/// Relative weights of the districts, most firms in the tech districts.
const DISTRICT_WEIGHTS: [u32; 13] = [6, 6, 9, 14, 12, 16, 6, 5, 8, 9, 3, 2, 4];

/// `maybe` with its value computed first (the value itself draws from the generator).
macro_rules! mb {
    ($g:expr, $p:expr, $v:expr) => {{
        let v = $v;
        $g.maybe($p, v)
    }};
}

/// Generates enterprises for one city and reference year.
pub struct Generator {
    rng: ChaCha8Rng,
    next: u64,
    year: i32,
    /// Shifts the serial numbers so that different seeds make different cities' codes.
    offset: u64,
}

impl Generator {
    pub fn new(seed: u64, year: i32) -> Generator {
        Generator {
            rng: ChaCha8Rng::seed_from_u64(seed),
            next: 0,
            year,
            offset: seed.wrapping_mul(2_654_435_761) % 31u64.pow(7),
        }
    }

    fn normal(&mut self) -> f64 {
        // Box–Muller.
        let u1: f64 = self.rng.random_range(f64::EPSILON..1.0);
        let u2: f64 = self.rng.random_range(0.0..1.0);
        (-2.0 * u1.ln()).sqrt() * (2.0 * std::f64::consts::PI * u2).cos()
    }

    fn chance(&mut self, p: f64) -> bool {
        self.rng.random_bool(p.clamp(0.0, 1.0))
    }

    /// `v`, or blank with probability `p`.
    fn maybe<T>(&mut self, p: f64, v: T) -> Option<T> {
        if self.chance(p) { None } else { Some(v) }
    }

    fn pick<'t, T>(&mut self, items: &'t [T]) -> &'t T {
        &items[self.rng.random_range(0..items.len())]
    }

    fn wan(x: f64) -> Wan {
        // Round to 0.01 万 (100 yuan): plausible bookkeeping precision.
        let u = ((x.max(0.0) * 100.0).round() as i64) * (SCALE / 100);
        Wan::from_units(u).unwrap_or(Wan::ZERO)
    }

    fn date(&mut self, from: i32, to: i32) -> NaiveDate {
        let y = self.rng.random_range(from..=to);
        let m = self.rng.random_range(1..=12);
        let d = self.rng.random_range(1..=28);
        NaiveDate::from_ymd_opt(y, m, d).unwrap_or_default()
    }

    fn uscc(&mut self, district: &str, serial: u64) -> Uscc {
        const CH: &[u8; 31] = b"0123456789ABCDEFGHJKLMNPQRTUWXY";
        let mut b = [0u8; 17];
        b[0] = b'9';
        b[1] = b'1';
        b[2..8].copy_from_slice(&district.as_bytes()[..6]);
        b[8] = b'M';
        b[9] = b'A';
        // An affine map modulo 31^7 with a multiplier prime to 31 is a bijection: unique serials.
        let modulus: u64 = 31u64.pow(7);
        let mut v = (serial.wrapping_mul(1_000_003) + 7_919 + self.offset) % modulus;
        for i in (10..17).rev() {
            b[i] = CH[(v % 31) as usize];
            v /= 31;
        }
        Uscc::with_check(&b)
            .unwrap_or_else(|| Uscc::with_check(b"91330100MA0000000").unwrap_or(Uscc::PLACEHOLDER))
    }

    fn one(&mut self) -> Enterprise {
        let serial = self.next;
        self.next += 1;
        let y = self.year;
        let total: u32 = DISTRICT_WEIGHTS.iter().sum();
        let mut k = self.rng.random_range(0..total);
        let mut di = 0;
        for (i, w) in DISTRICT_WEIGHTS.iter().enumerate() {
            if k < *w {
                di = i;
                break;
            }
            k -= w;
        }
        let (dcode, dname) = DISTRICTS[di];
        let in_ecosystem = self.chance(0.8);
        let (eco, code) = if in_ecosystem {
            let (eco, codes) = *self.pick(SECTORS);
            (Some(eco.to_owned()), *self.pick(codes))
        } else {
            (None, *self.pick(OTHER_CODES))
        };
        let industry = IndustryCode::parse(code).unwrap_or(IndustryCode::PLACEHOLDER);
        let head = format!("{}{}", self.pick(NAME_HEADS), self.pick(NAME_HEADS));
        let name = format!(
            "杭州{}{}{}",
            head,
            self.pick(NAME_TAILS),
            self.pick(NAME_KINDS)
        );
        let mut e = Enterprise::new(self.uscc(dcode, serial), name, industry);

        // Revenue: log-normal around 2,500万, long tail.
        let rev = (7.8 + 1.5 * self.normal()).exp().min(2.0e6);
        let g1 = 0.08 + 0.18 * self.normal();
        let g2 = 0.08 + 0.18 * self.normal();
        let rev1 = rev / (1.0 + g1).max(0.3);
        let rev2 = rev1 / (1.0 + g2).max(0.3);
        let main_share = (0.55 + 0.45 * self.rng.random_range(0.0..1.0f64).sqrt()).min(1.0);
        let intensity = (0.01 + 0.05 * self.normal().abs()).min(0.4);
        let per_head = 40.0 + 80.0 * self.rng.random_range(0.0..1.0f64);
        let employees = ((rev / per_head).round() as u32).clamp(3, 20_000);
        let rd_share = (0.05 + 0.25 * self.rng.random_range(0.0..1.0f64)).min(1.0);
        let rd_staff = ((f64::from(employees) * rd_share).round() as u32).min(employees);
        let assets = rev * (0.6 + 1.2 * self.rng.random_range(0.0..1.0f64));
        let debt = 0.15 + 0.7 * self.rng.random_range(0.0..1.0f64);
        let blank = 0.04;

        e.district = mb!(self, 0.01, dname.to_owned());
        e.ecosystem = eco;
        e.main_products = products_of(&e);
        let established = self.date(1995, y - 1);
        e.established_on = Some(established);
        let niche_from = established
            .format("%Y")
            .to_string()
            .parse::<i32>()
            .unwrap_or(y - 1);
        e.niche_since = {
            let d = self.date(niche_from, y);
            mb!(self, blank, d.max(established))
        };
        e.year = Some(y);
        e.employees = mb!(self, blank / 2.0, employees);
        e.rd_staff = mb!(self, blank, rd_staff);
        e.tech_staff = if self.chance(0.5) {
            None
        } else {
            Some((rd_staff + employees / 20).min(employees))
        };
        e.revenue = mb!(self, blank / 2.0, Self::wan(rev));
        e.revenue_prev = mb!(self, blank, Self::wan(rev1));
        e.revenue_prev2 = mb!(self, blank * 1.5, Self::wan(rev2));
        let main = Self::wan(rev * main_share).min(Self::wan(rev));
        e.main_revenue = mb!(self, blank, main);
        e.main_revenue_prev = mb!(
            self,
            blank,
            Self::wan(rev1 * main_share).min(Self::wan(rev1))
        );
        e.main_revenue_prev2 = mb!(
            self,
            blank * 1.5,
            Self::wan(rev2 * main_share).min(Self::wan(rev2))
        );
        e.rd_expense = mb!(self, blank, Self::wan(rev * intensity));
        e.rd_expense_prev = mb!(
            self,
            blank,
            Self::wan(rev1 * intensity * (0.8 + 0.3 * self.rng.random_range(0.0..1.0f64)))
        );
        e.total_cost = mb!(
            self,
            blank,
            Self::wan(rev * (0.75 + 0.2 * self.rng.random_range(0.0..1.0f64)))
        );
        let margin = 0.06 + 0.08 * self.normal();
        e.net_profit = mb!(
            self,
            blank,
            Wan::from_units(((rev * margin * 100.0).round() as i64) * (SCALE / 100))
                .unwrap_or(Wan::ZERO)
        );
        e.total_assets = mb!(self, blank, Self::wan(assets));
        e.total_liabilities = mb!(self, blank, Self::wan(assets * debt));
        let eq = if self.chance(0.12) {
            Self::wan((6.5 + 1.2 * self.normal()).exp())
        } else {
            Wan::ZERO
        };
        e.equity_2y = mb!(self, blank, eq);
        e.equity_3y = mb!(
            self,
            blank,
            if eq > Wan::ZERO {
                eq
            } else if self.chance(0.05) {
                Self::wan(300.0 + 900.0 * self.rng.random_range(0.0..1.0f64))
            } else {
                Wan::ZERO
            }
        );
        let ip1 = (self.normal().abs() * (1.0 + rev.ln().max(1.0) - 5.0).max(0.5) * 2.0) as u32;
        e.ip1 = mb!(self, blank, ip1);
        e.ip1_high_value = mb!(
            self,
            blank,
            if ip1 > 0 && self.chance(0.25) {
                self.rng.random_range(1..=ip1.max(1))
            } else {
                0
            }
        );
        e.ip1_self_developed = mb!(
            self,
            blank,
            if ip1 > 0 {
                self.rng.random_range(0..=ip1)
            } else {
                0
            }
        );
        e.ip1_applied = mb!(
            self,
            blank,
            if ip1 > 0 {
                self.rng.random_range(0..=ip1)
            } else {
                0
            }
        );
        e.ip2 = mb!(self, blank, (self.normal().abs() * 8.0) as u32);
        e.rd_institution = mb!(
            self,
            blank,
            *self.pick(&[
                RdInstitution::None,
                RdInstitution::None,
                RdInstitution::BelowCity,
                RdInstitution::City,
                RdInstitution::City,
                RdInstitution::Provincial,
                RdInstitution::National
            ])
        );
        e.digital_level = mb!(self, blank, self.rng.random_range(0..=4u8));
        e.quality_award = mb!(self, blank, self.chance(0.1));
        e.quality_cert = mb!(self, blank, self.chance(0.7));
        e.own_brand = mb!(self, blank, self.chance(0.6));
        e.standard_drafting = mb!(self, blank, self.chance(0.25));
        e.standard_lead_5y = mb!(self, blank, self.chance(0.05));
        e.intl_product_cert = mb!(self, blank, self.chance(0.2));
        e.core_it_system = mb!(self, blank, self.chance(0.75));
        e.product_emerging = mb!(self, blank, self.chance(0.5));
        e.product_chain_gap = mb!(self, blank, self.chance(0.2));
        e.product_six_basics = mb!(self, blank, self.chance(0.2));
        e.product_key_field = mb!(self, blank, self.chance(0.4));
        e.chain_key_link = mb!(self, blank, self.chance(0.35));
        e.market_share = mb!(
            self,
            blank * 2.0,
            Dec4::from_units((self.normal().abs() * 8.0 * SCALE as f64) as i64)
                .unwrap_or(Dec4::ZERO)
                .min(Dec4::whole(100))
        );
        e.market_rank = mb!(self, blank * 3.0, self.rng.random_range(1..=30u32));
        e.market_position_ok = mb!(self, blank, self.chance(0.45));
        e.high_tech_issued_on = if self.chance(0.3) {
            Some(self.date(y - 4, y))
        } else {
            None
        };
        e.innovation_demo = mb!(self, blank, self.chance(0.01));
        e.ip_advantage = mb!(self, blank, self.chance(0.03));
        let level = *self.pick(&[
            AwardLevel::None,
            AwardLevel::None,
            AwardLevel::None,
            AwardLevel::None,
            AwardLevel::Provincial,
            AwardLevel::National,
        ]);
        e.award_level = Some(level);
        if level != AwardLevel::None {
            e.award_rank = Some(self.rng.random_range(1..=8));
            e.award_year = Some(self.rng.random_range(y - 6..=y));
        }
        let makers = *self.pick(&[
            MakersChina::None,
            MakersChina::None,
            MakersChina::None,
            MakersChina::None,
            MakersChina::None,
            MakersChina::Top500,
            MakersChina::Top50,
        ]);
        e.makers_china = mb!(self, blank, makers);
        if makers != MakersChina::None {
            e.makers_china_year = Some(self.rng.random_range(y - 5..=y));
        }
        e.local_feature_score = mb!(
            self,
            blank * 2.0,
            Dec4::whole(self.rng.random_range(0..=15))
        );
        e.quality_score = mb!(
            self,
            blank * 2.0,
            Dec4::from_units(self.rng.random_range(20 * SCALE..=95 * SCALE)).unwrap_or(Dec4::ZERO)
        );
        let held = |g: &mut Generator, p: f64| {
            if g.chance(p) {
                Some(g.date(y, y + 3))
            } else {
                None
            }
        };
        e.innovative_until = held(self, 0.2);
        e.tech_sme_until = held(self, 0.25);
        e.srdi_until = held(self, 0.08);
        e.giant_until = held(self, 0.01);
        e.abnormal_list = mb!(self, blank, self.chance(0.01));
        e.dishonest_list = mb!(self, blank, self.chance(0.005));
        e.restricted_products = mb!(self, blank, self.chance(0.005));
        e.incident_3y = mb!(
            self,
            blank,
            *self.pick(&[
                Incident::None,
                Incident::None,
                Incident::None,
                Incident::None,
                Incident::None,
                Incident::None,
                Incident::General,
                Incident::Larger
            ])
        );
        e.security_incident_3y = mb!(self, blank, self.chance(0.005));
        e.quality_incident_3y = mb!(self, blank, self.chance(0.005));
        e.environment_violation_3y = mb!(self, blank, self.chance(0.01));
        e.tax_violation_3y = mb!(self, blank, self.chance(0.005));
        e.industry_violation_3y = mb!(self, blank, self.chance(0.005));
        if self.chance(CHAMPIONS) {
            self.champion(&mut e);
        }
        e
    }

    /// Turns a firm into a niche champion: the figures of a little giant, with the usual few
    /// blanks left to chance.
    fn champion(&mut self, e: &mut Enterprise) {
        let y = self.year;
        let u = |g: &mut Generator, a: f64, b: f64| a + (b - a) * g.rng.random_range(0.0..1.0f64);
        let rev = (9.9 + 0.6 * self.normal()).exp().clamp(6_000.0, 150_000.0);
        let rev1 = rev / (1.0 + u(self, 0.08, 0.25));
        let rev2 = rev1 / (1.0 + u(self, 0.08, 0.25));
        let share = u(self, 0.92, 0.995);
        let (i0, i1) = (u(self, 0.045, 0.09), u(self, 0.045, 0.09));
        let employees = ((rev / u(self, 60.0, 120.0)) as u32).clamp(50, 1_000);
        let assets = rev * u(self, 0.8, 1.5);
        e.niche_since = NaiveDate::from_ymd_opt(y - self.rng.random_range(5..=20), 1, 1);
        e.employees = Some(employees);
        e.rd_staff = Some(employees / 4);
        e.tech_staff = Some(employees / 3);
        e.revenue = Some(Self::wan(rev));
        e.revenue_prev = Some(Self::wan(rev1));
        e.revenue_prev2 = Some(Self::wan(rev2));
        e.main_revenue = Some(Self::wan(rev * share).min(Self::wan(rev)));
        e.main_revenue_prev = Some(Self::wan(rev1 * share).min(Self::wan(rev1)));
        e.main_revenue_prev2 = Some(Self::wan(rev2 * share).min(Self::wan(rev2)));
        e.rd_expense = Some(Self::wan(rev * i0));
        e.rd_expense_prev = Some(Self::wan(rev1 * i1));
        e.total_cost = Some(Self::wan(rev * 0.82));
        e.net_profit = Some(Self::wan(rev * u(self, 0.06, 0.16)));
        e.total_assets = Some(Self::wan(assets));
        e.total_liabilities = Some(Self::wan(assets * u(self, 0.25, 0.6)));
        let ip1 = self.rng.random_range(8..=60u32);
        e.ip1 = Some(ip1);
        e.ip1_high_value = Some(self.rng.random_range(1..=ip1 / 4));
        e.ip1_self_developed = Some(ip1 / 2);
        e.ip1_applied = Some(self.rng.random_range(5..=ip1));
        e.rd_institution = Some(*self.pick(&[
            RdInstitution::Provincial,
            RdInstitution::Provincial,
            RdInstitution::National,
        ]));
        e.digital_level = Some(self.rng.random_range(3..=4u8));
        for f in [
            &mut e.quality_cert,
            &mut e.own_brand,
            &mut e.core_it_system,
            &mut e.product_key_field,
            &mut e.chain_key_link,
            &mut e.market_position_ok,
            &mut e.product_emerging,
        ] {
            *f = Some(true);
        }
        e.market_share = Dec4::from_units((u(self, 10.0, 35.0) * SCALE as f64) as i64);
        e.market_rank = Some(self.rng.random_range(1..=3u32));
        e.quality_score = Dec4::from_units((u(self, 65.0, 95.0) * SCALE as f64) as i64);
        e.local_feature_score = Some(Dec4::whole(self.rng.random_range(9..=15)));
        e.innovative_until = self.chance(0.6).then(|| self.date(y + 1, y + 3));
        e.srdi_until = self.chance(0.7).then(|| self.date(y + 1, y + 3));
        e.giant_until = self.chance(0.3).then(|| self.date(y + 1, y + 3));
        e.incident_3y = Some(Incident::None);
        for f in [
            &mut e.abnormal_list,
            &mut e.dishonest_list,
            &mut e.restricted_products,
            &mut e.security_incident_3y,
            &mut e.quality_incident_3y,
            &mut e.environment_violation_3y,
            &mut e.tax_violation_3y,
            &mut e.industry_violation_3y,
        ] {
            *f = Some(false);
        }
    }
}

/// Share of firms generated as niche champions (little-giant grade): Hangzhou counts its little
/// giants in hundreds among tens of thousands of SMEs.
const CHAMPIONS: f64 = 0.008;

impl Iterator for Generator {
    type Item = Enterprise;
    fn next(&mut self) -> Option<Enterprise> {
        Some(self.one())
    }
}

/// Main products by ecosystem, for the demo city's product names.
const PRODUCTS: &[(&str, &[&str])] = &[
    (
        "智能物联",
        &[
            "工业物联网网关",
            "智能传感器",
            "视觉检测系统",
            "边缘计算服务器",
            "射频识别标签",
            "智能摄像机",
            "车规级芯片",
        ],
    ),
    (
        "生物医药",
        &[
            "单克隆抗体",
            "体外诊断试剂",
            "医用导管",
            "基因测序仪",
            "疫苗佐剂",
            "化学原料药",
            "心脏支架",
        ],
    ),
    (
        "高端装备",
        &[
            "伺服电机",
            "精密减速器",
            "数控机床",
            "工业机器人",
            "液压阀",
            "精密轴承",
            "激光切割机",
        ],
    ),
    (
        "新材料",
        &[
            "碳纤维复合材料",
            "特种合金",
            "电子级化学品",
            "高性能膜材料",
            "光学薄膜",
            "锂电隔膜",
            "磁性材料",
        ],
    ),
    (
        "绿色能源",
        &[
            "光伏组件",
            "储能变流器",
            "锂电池电芯",
            "氢燃料电池",
            "风电叶片",
            "充电桩",
            "智能电表",
        ],
    ),
];

/// The demo main products of a generated enterprise: one to three of its ecosystem's, none outside
/// the ecosystems. Drawn from its USCC (not from the generator's stream, so adding products did not
/// change any other generated figure).
pub fn products_of(e: &Enterprise) -> Option<String> {
    let eco = e.ecosystem.as_deref()?;
    let (_, names) = PRODUCTS.iter().find(|(k, _)| *k == eco)?;
    let key = e.uscc.key();
    let mut rng = ChaCha8Rng::seed_from_u64(((key as u64) ^ ((key >> 64) as u64)).rotate_left(17));
    let n = rng.random_range(1..=3usize);
    let first = rng.random_range(0..names.len());
    let picked: Vec<&str> = (0..n)
        .map(|i| names[(first + i * 3) % names.len()])
        .collect();
    Some(picked.join("、"))
}

/// The demo chain tags of a generated enterprise: one chain of its ecosystem, a quarter of the time
/// two, none outside the ecosystems. Drawn from its USCC, so the same city always gets the same tags.
pub fn chains_of(e: &Enterprise) -> Vec<&'static str> {
    let Some(eco) = e.ecosystem.as_deref() else {
        return Vec::new();
    };
    let under: Vec<&'static str> = crate::enterprise::chains()
        .iter()
        .filter(|c| c.ecosystem == eco)
        .map(|c| c.name)
        .collect();
    if under.is_empty() {
        return Vec::new();
    }
    let key = e.uscc.key();
    let mut rng = ChaCha8Rng::seed_from_u64((key as u64) ^ ((key >> 64) as u64));
    let first = rng.random_range(0..under.len());
    let mut out = vec![under[first]];
    if under.len() > 1 && rng.random_bool(0.25) {
        out.push(under[(first + rng.random_range(1..under.len())) % under.len()]);
    }
    out
}

/// The demo chain tags of a generated city, as (USCC, chains) for the enterprises that have any.
pub fn chain_tags<'a>(
    city: impl IntoIterator<Item = &'a Enterprise>,
) -> Vec<(String, Vec<String>)> {
    city.into_iter()
        .map(|e| {
            let cs = chains_of(e).into_iter().map(str::to_owned).collect();
            (e.uscc.to_string(), cs)
        })
        .filter(|(_, cs): &(String, Vec<String>)| !cs.is_empty())
        .collect()
}

#[cfg(test)]
mod tests {
    #[test]
    fn demo_chains_lie_in_the_enterprise_s_ecosystem_and_repeat_for_a_seed() {
        let city: Vec<Enterprise> = Generator::new(11, 2025).take(2000).collect();
        let mut two = 0;
        for e in &city {
            let cs = chains_of(e);
            assert_eq!(cs, chains_of(e), "deterministic");
            match e.ecosystem.as_deref() {
                None => assert!(cs.is_empty()),
                Some(eco) => {
                    assert!((1..=2).contains(&cs.len()), "{cs:?}");
                    assert_ne!(cs.first(), cs.get(1), "two different chains");
                    for c in &cs {
                        let chain = crate::enterprise::chains().iter().find(|k| k.name == *c);
                        assert_eq!(chain.map(|k| k.ecosystem), Some(eco));
                    }
                    two += usize::from(cs.len() == 2);
                }
            }
        }
        assert!(
            two > 100 && two < 800,
            "about a quarter have two chains: {two}"
        );
    }
    #[test]
    fn demo_products_are_of_the_enterprise_s_ecosystem() {
        let city: Vec<Enterprise> = Generator::new(12, 2025).take(2000).collect();
        let mut counts = [0usize; 4];
        for e in &city {
            match (e.ecosystem.as_deref(), e.main_products.as_deref()) {
                (None, p) => assert_eq!(p, None),
                (Some(eco), Some(p)) => {
                    let (_, names) = PRODUCTS
                        .iter()
                        .find(|(k, _)| *k == eco)
                        .unwrap_or_else(|| panic!("{eco}"));
                    let parts: Vec<&str> = p.split('、').collect();
                    assert!(parts.iter().all(|x| names.contains(x)), "{p} under {eco}");
                    let distinct: std::collections::HashSet<_> = parts.iter().collect();
                    assert_eq!(distinct.len(), parts.len(), "{p}");
                    counts[parts.len()] += 1;
                }
                (Some(eco), None) => panic!("{eco} without products"),
            }
        }
        assert!(
            counts[1] > 0 && counts[2] > 0 && counts[3] > 0,
            "{counts:?}"
        );
    }
    use super::*;

    #[test]
    fn the_same_seed_gives_the_same_city_and_another_seed_another() {
        let a: Vec<_> = Generator::new(7, 2025).take(50).collect();
        let b: Vec<_> = Generator::new(7, 2025).take(50).collect();
        let c: Vec<_> = Generator::new(8, 2025).take(50).collect();
        assert_eq!(a, b);
        assert_ne!(a, c);
    }

    #[test]
    fn generated_rows_obey_the_templates_cross_field_rules_and_have_unique_codes() {
        let rows: Vec<_> = Generator::new(1, 2025).take(5000).collect();
        let mut codes: Vec<_> = rows.iter().map(|e| e.uscc.clone()).collect();
        codes.sort();
        codes.dedup();
        assert_eq!(codes.len(), rows.len());
        for e in &rows {
            assert!(
                e.cross_field_errors().is_empty(),
                "{:?}: {:?}",
                e.uscc,
                e.cross_field_errors()
            );
        }
        // A small apex of champions exists, as in a real city.
        let sets = crate::rules::load_all(&crate::rules::Embedded).unwrap_or_default();
        let as_of = NaiveDate::from_ymd_opt(2026, 6, 1).unwrap_or_default();
        let giants = rows
            .iter()
            .filter(|e| {
                sets.iter()
                    .any(|rs| crate::evaluate(e, rs, as_of).giant == crate::Verdict::Pass)
            })
            .count();
        assert!(
            (5..=100).contains(&giants),
            "{giants} little giants in 5000"
        );
        // Some cells are blank, most are not.
        let blank_revenue_prev = rows.iter().filter(|e| e.revenue_prev.is_none()).count();
        assert!(
            blank_revenue_prev > 50 && blank_revenue_prev < 500,
            "{blank_revenue_prev}"
        );
    }
}
