//! The glossary: every domain term the platform shows, in Simplified Chinese and English, in one place.
//! Column labels live with the columns (`enterprise::COLUMNS`); everything else is here.

use crate::enterprise::Col;
use crate::trace::{RuleId, Size, Tier, TopTier, Verdict};

/// A user-facing language.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum Lang {
    #[default]
    Zh,
    En,
}

fn pick(lang: Lang, zh: &'static str, en: &'static str) -> &'static str {
    match lang {
        Lang::Zh => zh,
        Lang::En => en,
    }
}

pub fn tier(t: Tier, lang: Lang) -> &'static str {
    match t {
        Tier::Innovative => pick(lang, "创新型中小企业", "Innovative SME"),
        Tier::TechSme => pick(lang, "科技型中小企业", "Tech-based SME"),
        Tier::Srdi => pick(lang, "专精特新中小企业", "SRDI SME"),
        Tier::Giant => pick(lang, "专精特新“小巨人”企业", "SRDI little giant"),
    }
}

pub fn top_tier(t: TopTier, lang: Lang) -> &'static str {
    match t {
        TopTier::Giant => tier(Tier::Giant, lang),
        TopTier::Srdi => tier(Tier::Srdi, lang),
        TopTier::Innovative => tier(Tier::Innovative, lang),
        TopTier::TechSme => tier(Tier::TechSme, lang),
        TopTier::None => pick(lang, "暂未达到任何梯度", "no tier yet"),
    }
}

pub fn verdict(v: Verdict, lang: Lang) -> &'static str {
    match v {
        Verdict::Pass => pick(lang, "符合", "pass"),
        Verdict::Fail => pick(lang, "不符合", "fail"),
        Verdict::Review => pick(lang, "待核实", "review"),
    }
}

pub fn size(s: Size, lang: Lang) -> &'static str {
    match s {
        Size::Large => pick(lang, "大型", "large"),
        Size::Medium => pick(lang, "中型", "medium"),
        Size::Small => pick(lang, "小型", "small"),
        Size::Micro => pick(lang, "微型", "micro"),
        Size::Unknown => pick(lang, "无法判定", "unknown"),
    }
}

/// A tier's short name by its key (`giant`, `srdi`, `innovative`, `tech_sme`, or `none`), as
/// lists, charts and counts label it.
pub fn tier_short(key: &str, lang: Lang) -> &'static str {
    match key {
        "giant" => pick(lang, "小巨人", "little giant"),
        "srdi" => pick(lang, "专精特新", "SRDI"),
        "innovative" => pick(lang, "创新型", "innovative"),
        "tech_sme" => pick(lang, "科技型", "tech-based"),
        _ => pick(lang, "暂无", "none"),
    }
}

/// A tier's full name by its key.
pub fn tier_by_key(key: &str, lang: Lang) -> &'static str {
    match key {
        "innovative" => tier(Tier::Innovative, lang),
        "tech_sme" => tier(Tier::TechSme, lang),
        "srdi" => tier(Tier::Srdi, lang),
        _ => tier(Tier::Giant, lang),
    }
}

/// A size class by its key.
pub fn size_by_key(key: &str, lang: Lang) -> &'static str {
    let s = match key {
        "large" => Size::Large,
        "medium" => Size::Medium,
        "small" => Size::Small,
        "micro" => Size::Micro,
        _ => Size::Unknown,
    };
    size(s, lang)
}

/// The highest tier by its key.
pub fn top_tier_by_key(key: &str, lang: Lang) -> &'static str {
    let t = match key {
        "giant" => TopTier::Giant,
        "srdi" => TopTier::Srdi,
        "innovative" => TopTier::Innovative,
        "tech_sme" => TopTier::TechSme,
        _ => TopTier::None,
    };
    top_tier(t, lang)
}

/// A user role by its key (`city`, `district`, `enterprise`, `institution`, `provider`).
pub fn role(key: &str, lang: Lang) -> &'static str {
    match key {
        "city" => pick(lang, "市经信局", "city bureau"),
        "district" => pick(lang, "区县经信局", "district office"),
        "enterprise" => pick(lang, "企业", "enterprise"),
        "institution" => pick(lang, "金融机构", "financial institution"),
        "expert" => pick(lang, "评审专家", "reviewing expert"),
        _ => pick(lang, "服务商", "service provider"),
    }
}

/// An ecosystem (产业生态圈) of the model city by its name; an unknown name is shown as given.
pub fn ecosystem(name: &str, lang: Lang) -> &str {
    let en = match name {
        "智能物联" => "Smart IoT",
        "生物医药" => "Biomedicine",
        "高端装备" => "High-end equipment",
        "新材料" => "New materials",
        "绿色能源" => "Green energy",
        _ => return name,
    };
    match lang {
        Lang::Zh => name,
        Lang::En => en,
    }
}

/// A column's name for a reader: its Chinese label, or its English one.
pub fn field(c: Col, lang: Lang) -> &'static str {
    match lang {
        Lang::Zh => c.spec().zh,
        Lang::En => field_en(c.spec().key).unwrap_or(c.spec().key),
    }
}

/// The English label of a template column, by its key (every column has one: a test checks).
fn field_en(key: &str) -> Option<&'static str> {
    Some(match key {
        "uscc" => "Unified social credit code",
        "name" => "Enterprise name",
        "industry_code" => "Industry code (GB/T 4754)",
        "district" => "District",
        "ecosystem" => "Industrial ecosystem",
        "main_products" => "Main products",
        "established_on" => "Established on",
        "niche_since" => "In its niche market since",
        "year" => "Data year",
        "employees" => "Employees",
        "rd_staff" => "R&D staff",
        "tech_staff" => "Science and technology staff",
        "revenue" => "Revenue (last year)",
        "revenue_prev" => "Revenue (the year before)",
        "revenue_prev2" => "Revenue (two years before)",
        "main_revenue" => "Main-business revenue (last year)",
        "main_revenue_prev" => "Main-business revenue (the year before)",
        "main_revenue_prev2" => "Main-business revenue (two years before)",
        "rd_expense" => "R&D expense (last year)",
        "rd_expense_prev" => "R&D expense (the year before)",
        "total_cost" => "Total costs and expenses (last year)",
        "net_profit" => "Net profit (last year)",
        "total_assets" => "Total assets (end of last year)",
        "total_liabilities" => "Total liabilities (end of last year)",
        "equity_2y" => "New equity financing (last two years)",
        "equity_3y" => "New equity financing (last three years)",
        "ip1_high_value" => "High-value class I IP",
        "ip1_self_developed" => "Self-developed class I IP",
        "ip1" => "Class I IP",
        "ip1_applied" => "Class I IP applied with benefit",
        "ip2" => "Class II IP",
        "rd_institution" => "Level of R&D institution",
        "digital_level" => "Digitalisation level",
        "quality_award" => "Provincial-or-higher quality award",
        "quality_cert" => "Quality management certification",
        "own_brand" => "Own brand",
        "standard_drafting" => "Took part in drafting standards",
        "standard_lead_5y" => "Led an international, national or industry standard in five years",
        "intl_product_cert" => "Product certified in developed markets",
        "core_it_system" => "Core business run on information systems",
        "product_emerging" => "Main product in a strategic emerging industry",
        "product_chain_gap" => "Effective in closing or strengthening chain gaps",
        "product_six_basics" => {
            "Six industrial foundations, time-honoured brand or chain-leader supplier"
        }
        "product_key_field" => "Main product in a little-giant key field",
        "chain_key_link" => "At a key link of an industrial chain",
        "market_position_ok" => "Leading position in its niche market",
        "high_tech_issued_on" => "High-tech certificate issued on",
        "innovation_demo" => "National technological innovation demonstration enterprise",
        "ip_advantage" => "IP advantage or demonstration enterprise",
        "award_level" => "Level of S&T award",
        "award_year" => "Year of S&T award",
        "makers_china" => "Makers China national ranking group",
        "makers_china_year" => "Makers China year",
        "innovative_until" => "Innovative SME title valid until",
        "tech_sme_until" => "Tech-based SME title valid until",
        "srdi_until" => "SRDI SME title valid until",
        "giant_until" => "Little giant title valid until",
        "abnormal_list" => "On the abnormal operations list",
        "dishonest_list" => "On the serious dishonesty list",
        "restricted_products" => "Restricted or obsolete products",
        "incident_3y" => "Worst production safety accident (three years)",
        "security_incident_3y" => "Major cyber or data security incident (three years)",
        "quality_incident_3y" => "Major quality accident or problem (three years)",
        "environment_violation_3y" => {
            "Major pollution accident or environmental violation (three years)"
        }
        "tax_violation_3y" => "Tax evasion (three years)",
        "market_share" => "Share of its niche market",
        "market_rank" => "Rank in its domestic niche market",
        "award_rank" => "Rank among an S&T award's winners",
        "local_feature_score" => "Local distinctiveness score",
        "quality_score" => "SRDI development evaluation score",
        "industry_violation_3y" => "Serious breach of industry rules (three years)",
        _ => return None,
    })
}

/// The short title of a rule.
pub fn rule(id: RuleId, lang: Lang) -> &'static str {
    use RuleId::*;
    let (zh, en) = match id {
        Cx1 => ("主导产品相关知识产权", "IP related to the main product"),
        Cx2 => ("研发费用占营业收入比重", "R&D intensity"),
        Cx3 => ("主营业务收入增长率", "main-business revenue growth"),
        Cx4 => ("资产负债率", "debt ratio"),
        Cx5 => ("主导产品所属领域", "main product field"),
        Cx6 => ("主营业务收入占营业收入比重", "main-business share"),
        CxD1 => (
            "近三年省级以上科技奖励",
            "provincial or national S&T award in 3 years",
        ),
        CxD2 => (
            "高新技术企业等有效荣誉",
            "valid high-tech or equivalent title",
        ),
        CxD3 => ("省部级以上研发机构", "provincial-or-higher R&D institution"),
        CxD4 => (
            "近三年新增股权融资500万元以上",
            "new equity financing in 3 years",
        ),
        CxScore => ("创新型评价得分", "innovative score route"),
        GList => (
            "未列入经营异常名录或严重失信名单",
            "not on the abnormal or dishonesty lists",
        ),
        GProd => (
            "产品不属于禁止、限制或淘汰类",
            "no prohibited, restricted or eliminated products",
        ),
        GSme => ("符合中小企业划型标准", "is an SME"),
        G22Inc => (
            "近三年无重大安全、质量、环境事故及偷漏税",
            "no major incidents or tax evasion in 3 years",
        ),
        G26Inc => (
            "近三年无较大以上事故及严重违规",
            "no larger-or-worse incidents or serious breaches in 3 years",
        ),
        Kj1 => ("科技人员占比", "S&T staff share"),
        Kj2 => ("规模上限（职工、收入、资产）", "size caps"),
        Kj2R => (
            "研发投入（两种算法取高）",
            "R&D input, better of two options",
        ),
        Kj3 => ("科技成果（知识产权）", "intellectual property"),
        KjD1 => ("有效期内高新技术企业", "valid high-tech certificate"),
        KjD2 => (
            "近五年国家级科技奖励前三",
            "national S&T award top 3 in 5 years",
        ),
        KjD3 => ("省部级以上研发机构", "provincial-or-higher R&D institution"),
        KjD4 => ("近五年主导制定标准", "led a standard in 5 years"),
        KjScore => ("科技型评价得分", "tech-based score route"),
        SizeClass => ("企业规模", "size class"),
        Xj22_1a | Xj26_1b => ("从事细分市场3年以上", "3 years or more in the niche"),
        Xj22_1b => ("主营业务收入占比不低于70%", "main-business share ≥ 70%"),
        Xj22_1c => (
            "近2年主营业务收入平均增长率不低于5%",
            "two-year average main growth ≥ 5%",
        ),
        Xj22_2a => (
            "核心业务采用信息系统支撑",
            "core business on information systems",
        ),
        Xj22_2b => (
            "管理体系认证或国际产品认证",
            "management-system or international product certification",
        ),
        Xj22_2c => ("资产负债率不高于70%", "debt ratio ≤ 70%"),
        Xj22_3a => ("细分市场占有率不低于10%", "market share ≥ 10%"),
        Xj22_3b => ("拥有自主品牌", "own brand"),
        Xj22_4 => (
            "创新能力（一般条件或直通条件）",
            "innovation: general route or a direct one",
        ),
        Xj22_4D1 => (
            "近三年国家级科技奖励前三",
            "national S&T award top 3 in 3 years",
        ),
        Xj22_4D2 => (
            "近三年创客中国全国50强",
            "Makers China national top 50 in 3 years",
        ),
        Xj22_4G1 => ("研发投入（按营业收入分档）", "R&D input by revenue band"),
        Xj22_4G2 => ("自建或合作建立研发机构", "has an R&D institution"),
        Xj22_4G3 => ("已应用的Ⅰ类知识产权2项以上", "2 or more applied class-I IP"),
        Xj22_5 => ("位于产业链关键环节", "key link of an industrial chain"),
        Xj22_6 | Xj26_6 => ("主导产品属于重点领域", "main product in a key field"),
        Xj22P | Xj26_1a => ("已是或达到专精特新中小企业", "holds or meets SRDI"),
        Xj26_2a => ("营业收入5000万元以上", "revenue ≥ 5000万"),
        Xj26_2b => ("主营业务收入占比不低于90%", "main-business share ≥ 90%"),
        Xj26_2c => (
            "近2年营业收入复合增长率不低于5%",
            "two-year compound revenue growth ≥ 5%",
        ),
        Xj26_2d => ("资产负债率不高于75%", "debt ratio ≤ 75%"),
        Xj26_3a => (
            "近2年研发费用总额不低于1200万元",
            "R&D of two years ≥ 1200万",
        ),
        Xj26_3b => ("上年度研发强度不低于3%", "R&D intensity (Y) ≥ 3%"),
        Xj26_3c => ("前一年度研发强度不低于3%", "R&D intensity (Y-1) ≥ 3%"),
        Xj26_4 => (
            "Ⅰ类知识产权或国家级科技奖励",
            "class-I IP or national award",
        ),
        Xj26_5 => ("细分市场占有率或国内排名", "market share or domestic rank"),
        Xj26_7 | Zx26_6 => ("专精特新发展评价得分", "SRDI development score"),
        Zx22_1 => ("从事细分市场2年以上", "2 years or more in the niche"),
        Zx22_2a => ("上年度研发费用不低于100万元", "R&D (Y) ≥ 100万"),
        Zx22_2b => ("研发费用占营业收入比重不低于3%", "R&D intensity ≥ 3%"),
        Zx22_3 => (
            "营业收入1000万元以上或股权融资2000万元以上",
            "revenue ≥ 1000万 or equity ≥ 2000万",
        ),
        Zx22_4 => (
            "评价得分60分以上或满足直通条件",
            "score ≥ 60 or a direct condition",
        ),
        Zx22D1 => (
            "近三年省级前三或国家级前五科技奖励",
            "provincial top-3 or national top-5 award in 3 years",
        ),
        Zx22D2 => (
            "近两年研发费用均值1000万元以上",
            "two-year average R&D ≥ 1000万",
        ),
        Zx22D3 => (
            "近两年新增股权融资6000万元以上",
            "new equity ≥ 6000万 in 2 years",
        ),
        Zx22D4 => (
            "近三年创客中国全国500强",
            "Makers China national top 500 in 3 years",
        ),
        Zx22P => ("已是或达到创新型中小企业", "holds or meets innovative"),
        Zx22S1 => ("主营业务收入占比", "main-business share"),
        Zx22S2 => (
            "近2年主营业务收入平均增长率",
            "two-year average main growth",
        ),
        Zx22S3 => ("从事细分市场年限", "years in the niche"),
        Zx22S4 => ("主导产品所属领域", "main product field"),
        Zx22S5 => ("数字化水平", "digital level"),
        Zx22S6 => ("质量管理水平", "quality management"),
        Zx22S7 => ("净利润率", "net margin"),
        Zx22S8 => ("资产负债率", "debt ratio"),
        Zx22S9 => ("特色化指标", "provincial local indicators"),
        Zx22S10 => ("主导产品相关知识产权", "IP related to the main product"),
        Zx22S11 => (
            "研发投入（金额或比重取高）",
            "R&D input, better of amount or intensity",
        ),
        Zx22S12 => ("研发人员占比", "R&D staff share"),
        Zx22S13 => ("研发机构级别", "R&D institution level"),
        Zx22Score => ("专精特新评价得分", "SRDI score"),
        Zx26_1a => (
            "已是或达到科技和创新型中小企业",
            "holds or meets innovative or tech-based",
        ),
        Zx26_1b => ("从事细分市场3年以上", "3 years or more in the niche"),
        Zx26_2a => (
            "营业收入1500万元以上或股权融资2000万元以上",
            "revenue ≥ 1500万 or equity ≥ 2000万",
        ),
        Zx26_2b => ("主营业务收入占比不低于80%", "main-business share ≥ 80%"),
        Zx26_2c => ("资产负债率不高于80%", "debt ratio ≤ 80%"),
        Zx26_3a => (
            "上年度研发费用100万元以上且强度3%以上",
            "R&D (Y) ≥ 100万 and ≥ 3%",
        ),
        Zx26_3b => (
            "前一年度研发费用100万元以上且强度3%以上",
            "R&D (Y-1) ≥ 100万 and ≥ 3%",
        ),
        Zx26_4 => (
            "Ⅰ类知识产权、科技奖励或省级研发机构",
            "class-I IP, award or provincial R&D institution",
        ),
        Zx26_5 => ("细分市场地位较为靠前", "leading position in the niche"),
    };
    pick(lang, zh, en)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_ecosystem_and_tier_key_has_both_languages() {
        for e in crate::enterprise::ECOSYSTEMS {
            assert_eq!(ecosystem(e, Lang::Zh), *e);
            assert_ne!(ecosystem(e, Lang::En), *e, "{e} has no English name");
        }
        let keys = ["giant", "srdi", "innovative", "tech_sme", "none"];
        let en: std::collections::HashSet<_> =
            keys.iter().map(|k| tier_short(k, Lang::En)).collect();
        let zh: std::collections::HashSet<_> =
            keys.iter().map(|k| tier_short(k, Lang::Zh)).collect();
        assert_eq!((en.len(), zh.len()), (keys.len(), keys.len()));
        for k in [
            "city",
            "district",
            "enterprise",
            "institution",
            "provider",
            "expert",
        ] {
            assert_ne!(role(k, Lang::Zh), role(k, Lang::En));
        }
    }

    /// Every column of the template has an English label of its own (not its key), each
    /// different.
    #[test]
    fn every_column_has_an_english_label() {
        let mut seen = std::collections::HashSet::new();
        for c in crate::enterprise::COLUMNS {
            let en = field(c.col, Lang::En);
            assert!(field_en(c.key).is_some(), "{} has no English label", c.key);
            assert!(seen.insert(en), "{en} twice");
            assert_ne!(en, field(c.col, Lang::Zh));
        }
    }
}
