//! Demo achievements and demands: a deterministic generator over a small domain vocabulary per
//! industrial chain (objects, techniques, keywords, technology field), written for this project.
//! Records are spread over the demo units (universities, institutes, R&D institutions,
//! platforms) and enterprises, with states (published, submitted, returned, draft, withdrawn;
//! published, matched, closed, draft) and dates between 2022 and 2026.

use crate::achievements::{insert_demo as insert_achievements, DemoAchievement};
use crate::demands::insert_demo as insert_demands;
use crate::{OrgQuery, Result, Store};
use chengguo_core::achievement::{AchievementStatus, NewAchievement, Visibility};
use chengguo_core::demand::{DemandStatus, NewDemand};
use chengguo_core::{refdata, Actor, Fen, OrgKind};

/// Vocabulary of one chain: (chain code, tech field, objects, techniques, extra keywords).
type Vocab = (
    &'static str,
    &'static str,
    &'static [&'static str],
    &'static [&'static str],
    &'static [&'static str],
);

/// English-language demo achievements: (owner, title, abstract, keywords, chain, field, stage).
type English = (
    &'static str,
    &'static str,
    &'static str,
    &'static [&'static str],
    &'static str,
    &'static str,
    &'static str,
);
const ENGLISH: &[English] = &[
    ("中国科学院金属研究所", "Laser cladding repair of nickel-based superalloy turbine blades",
     "A laser cladding process restores worn tips of nickel-based superalloy turbine blades in aero-engines and gas turbines. Repaired blades recover more than 90% of the fatigue life of new parts; the process has been validated on a pilot line in Shenyang.",
     &["laser cladding", "turbine blade", "superalloy"], "aviation", "new_materials", "pilot"),
    ("中国科学院金属研究所", "Corrosion-resistant coatings for offshore wind turbine towers",
     "Thermally sprayed zinc-aluminium coatings with a sealing layer protect steel towers of offshore wind turbines against salt-spray corrosion for more than 25 years, cutting maintenance costs.",
     &["corrosion", "coating", "wind turbine"], "energy_saving_environmental", "new_materials", "mature"),
    ("中国科学院沈阳自动化研究所", "Vision-guided collaborative robot for automotive welding lines",
     "A collaborative robot with 3D vision locates car-body seams to within 0.05 mm and adapts welding paths in real time, for small-batch automotive welding lines. Deployed with a local parts supplier.",
     &["collaborative robot", "machine vision", "welding"], "robotics", "advanced_manufacturing", "mature"),
    ("中国科学院沈阳自动化研究所", "Autonomous underwater vehicle for subsea pipeline inspection",
     "An autonomous underwater vehicle with sonar and optical sensing inspects subsea oil and gas pipelines, detecting free spans and coating damage; endurance 24 hours at 300 m depth.",
     &["underwater vehicle", "pipeline inspection", "sonar"], "robotics", "electronic_information", "pilot"),
    ("东北大学", "Solid-state electrolytes for lithium metal batteries",
     "A sulfide solid electrolyte membrane suppresses lithium dendrites and keeps 90% of capacity after 1,000 cycles, enabling safer high-energy batteries for electric vehicles.",
     &["solid electrolyte", "lithium battery", "electric vehicle"], "new_energy_vehicles", "new_energy", "lab"),
    ("东北大学", "Digital twin for hot strip rolling mills",
     "A digital twin of the hot strip mill predicts strip thickness and flatness from process data with machine learning and adjusts roll gaps online; tested at a steel plant, it cut off-gauge strip by 30%.",
     &["digital twin", "rolling mill", "machine learning"], "metallurgy_building_materials", "advanced_manufacturing", "pilot"),
];

/// The enterprise demo account's demands: (title, description, keywords).
const SIASUN_DEMANDS: &[(&str, &str, &[&str])] = &[
    ("寻求焊装线机器人视觉引导与焊缝跟踪技术",
     "我公司为汽车焊装线提供协作机器人，需要基于机器视觉的焊缝识别与跟踪技术，定位精度优于0.1毫米，适应小批量多品种生产。Vision-guided welding for collaborative robots.",
     &["机器视觉", "协作机器人", "焊缝跟踪"]),
    ("寻求移动机器人自主导航定位技术",
     "我公司仓储物流移动机器人需要在动态环境中实现激光与视觉融合的自主导航定位，定位误差小于2厘米，希望与本地高校院所联合开发。",
     &["移动机器人", "自主导航", "激光SLAM"]),
];

const VOCAB: &[Vocab] = &[
    (
        "auto_parts",
        "advanced_manufacturing",
        &[
            "轻量化铝合金副车架",
            "汽车变速器齿轮",
            "底盘悬架控制臂",
            "车身焊装夹具",
            "制动卡钳",
        ],
        &[
            "一体化压铸成形技术",
            "疲劳寿命预测方法",
            "激光拼焊工艺",
            "在线尺寸检测系统",
            "精密锻造工艺",
        ],
        &["汽车零部件", "轻量化", "压铸", "疲劳"],
    ),
    (
        "general_machinery",
        "advanced_manufacturing",
        &[
            "离心压缩机叶轮",
            "大型鼓风机",
            "工业泵阀",
            "齿轮传动箱",
            "重型轴承",
        ],
        &[
            "气动优化设计方法",
            "振动故障诊断技术",
            "高效节能改造技术",
            "数字孪生运维平台",
            "减振降噪技术",
        ],
        &["通用机械", "压缩机", "故障诊断", "节能"],
    ),
    (
        "special_equipment",
        "advanced_manufacturing",
        &[
            "盾构机主轴承",
            "矿用提升机",
            "轨道交通转向架",
            "石化反应釜",
            "大型输送装备",
        ],
        &[
            "健康监测与寿命评估技术",
            "智能控制系统",
            "耐磨涂层制备技术",
            "国产化替代设计",
            "远程运维技术",
        ],
        &["专用装备", "轨道交通", "矿山机械", "健康监测"],
    ),
    (
        "machine_tools",
        "advanced_manufacturing",
        &[
            "五轴联动数控机床",
            "精密电主轴",
            "数控系统",
            "滚珠丝杠副",
            "机床床身",
        ],
        &[
            "热误差补偿技术",
            "高速高精插补算法",
            "动态特性优化方法",
            "在机测量技术",
            "可靠性增长技术",
        ],
        &["数控机床", "功能部件", "精度", "五轴"],
    ),
    (
        "power_equipment",
        "new_energy",
        &[
            "特高压变压器",
            "大型汽轮机叶片",
            "风电齿轮箱",
            "智能开关柜",
            "电力电缆附件",
        ],
        &[
            "局部放电在线监测技术",
            "绝缘材料老化评估方法",
            "状态检修系统",
            "冷却结构优化设计",
            "故障预警技术",
        ],
        &["电力装备", "变压器", "在线监测", "绝缘"],
    ),
    (
        "metallurgy_building_materials",
        "new_materials",
        &[
            "高强度建筑钢",
            "低碳水泥熟料",
            "耐火材料",
            "镁质建材",
            "固废基胶凝材料",
        ],
        &[
            "短流程冶炼工艺",
            "余热回收利用技术",
            "绿色制备技术",
            "性能调控方法",
            "资源化利用技术",
        ],
        &["冶金", "建材", "低碳", "固废利用"],
    ),
    (
        "petrochemicals",
        "new_materials",
        &[
            "重质油加氢催化剂",
            "聚烯烃弹性体",
            "精细化学品",
            "炼化污水",
            "工业气体",
        ],
        &[
            "高效合成工艺",
            "催化剂再生技术",
            "分离提纯技术",
            "过程强化技术",
            "安全预警系统",
        ],
        &["石油化工", "催化剂", "精细化工", "过程强化"],
    ),
    (
        "agro_processing",
        "agriculture",
        &[
            "玉米深加工副产物",
            "水稻秸秆",
            "大豆蛋白",
            "鲜食蔬菜",
            "功能性食品",
        ],
        &[
            "生物转化技术",
            "冷链保鲜技术",
            "高值化利用技术",
            "品质快速检测方法",
            "酶解制备工艺",
        ],
        &["农产品深加工", "食品", "保鲜", "生物转化"],
    ),
    (
        "new_energy_vehicles",
        "new_energy",
        &[
            "动力电池包",
            "驱动电机",
            "燃料电池电堆",
            "车载充电机",
            "电池管理系统",
        ],
        &[
            "热管理技术",
            "快充控制策略",
            "梯次利用技术",
            "安全预警算法",
            "高功率密度设计",
        ],
        &["新能源汽车", "动力电池", "氢能", "电驱动"],
    ),
    (
        "integrated_circuits",
        "electronic_information",
        &[
            "晶圆涂胶显影设备",
            "薄膜沉积设备",
            "芯片封装基板",
            "功率半导体器件",
            "集成电路测试",
        ],
        &[
            "工艺腔体设计技术",
            "缺陷检测算法",
            "国产化关键部件",
            "良率提升方法",
            "温控系统",
        ],
        &["集成电路", "半导体装备", "封装", "良率"],
    ),
    (
        "aviation",
        "aerospace",
        &[
            "航空发动机叶片",
            "复合材料机身壁板",
            "起落架",
            "航空紧固件",
            "机载电子设备",
        ],
        &[
            "单晶定向凝固技术",
            "无损检测技术",
            "增材制造工艺",
            "表面强化技术",
            "适航验证方法",
        ],
        &["航空", "航空发动机", "复合材料", "增材制造"],
    ),
    (
        "biomedicine_medical_equipment",
        "biomedicine",
        &[
            "医学影像设备",
            "中药制剂",
            "抗体药物",
            "骨科植入物",
            "体外诊断试剂",
        ],
        &[
            "低剂量成像算法",
            "质量标准提升技术",
            "高表达细胞株构建",
            "表面改性技术",
            "快速检测方法",
        ],
        &["生物医药", "医疗器械", "诊断", "制剂"],
    ),
    (
        "robotics",
        "advanced_manufacturing",
        &[
            "工业机器人",
            "协作机器人",
            "移动机器人",
            "手术机器人",
            "水下机器人",
        ],
        &[
            "视觉引导抓取技术",
            "力控装配技术",
            "自主导航定位技术",
            "高精度减速器",
            "人机协作安全技术",
        ],
        &["机器人", "智能制造", "机器视觉", "自动化"],
    ),
    (
        "new_materials",
        "new_materials",
        &[
            "高温合金",
            "钛合金",
            "石墨烯复合材料",
            "耐蚀涂层",
            "高性能陶瓷",
        ],
        &[
            "制备工艺",
            "组织性能调控技术",
            "表面防护技术",
            "粉末冶金工艺",
            "服役性能评价方法",
        ],
        &["新材料", "合金", "涂层", "复合材料"],
    ),
    (
        "energy_saving_environmental",
        "environment",
        &["工业烟气", "城市污泥", "高盐废水", "供热管网", "工业余热"],
        &[
            "超低排放治理技术",
            "资源化处置技术",
            "膜分离技术",
            "智慧调控系统",
            "高效回收利用技术",
        ],
        &["节能环保", "污染治理", "资源化", "余热利用"],
    ),
];

const DISCIPLINES: &[&str] = &[
    "机械工程",
    "材料科学与工程",
    "控制科学与工程",
    "化学工程与技术",
    "电气工程",
    "计算机科学与技术",
    "生物医学工程",
    "环境科学与工程",
    "农业工程",
    "航空宇航科学与技术",
];
const SURNAMES: &[&str] = &[
    "王", "李", "张", "刘", "陈", "杨", "赵", "黄", "周", "吴", "孙", "马",
];
const GIVEN: &[&str] = &[
    "伟", "敏", "静", "磊", "军", "洋", "勇", "艳", "杰", "娟", "涛", "明", "超", "霞",
];
const RETURN_REASONS: &[&str] = &[
    "成果简介过于简单，请补充技术指标和应用前景",
    "知识产权信息不完整，请补充专利号",
    "联系人信息缺失",
];

/// A small deterministic generator (no dependency, same demo every time).
struct Lcg(u64);
impl Lcg {
    fn next(&mut self) -> u64 {
        self.0 = self
            .0
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        self.0 >> 33
    }
    fn pick<'a, T>(&mut self, v: &'a [T]) -> &'a T {
        &v[(self.next() as usize) % v.len()]
    }
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n.max(1)
    }
}

/// A day in 2022-01-01 + `days`, as an RFC 3339 instant.
fn day(days: u64) -> String {
    let d = time::macros::date!(2022 - 01 - 01) + time::Duration::days(days as i64);
    format!("{d}T02:00:00.000000Z")
}

fn person(r: &mut Lcg) -> String {
    format!("{}{}{}", r.pick(SURNAMES), r.pick(GIVEN), r.pick(GIVEN))
}

/// The last day the demo uses (2026-10-31, so that records span 2022–2026).
const SPAN_DAYS: u64 = 1764;

pub(crate) async fn load(store: &Store, actor: &Actor) -> Result<(usize, usize)> {
    let orgs = store
        .list_orgs(&OrgQuery {
            limit: 10_000,
            ..Default::default()
        })
        .await?
        .items;
    let units: Vec<_> = orgs
        .iter()
        .filter(|o| {
            matches!(
                o.kind,
                OrgKind::University
                    | OrgKind::Institute
                    | OrgKind::RndInstitution
                    | OrgKind::Platform
            )
        })
        .collect();
    let enterprises: Vec<_> = orgs
        .iter()
        .filter(|o| o.kind == OrgKind::Enterprise)
        .collect();
    let mut r = Lcg(20220304);
    let chains = refdata::chains();
    let mut achievements = Vec::new();
    for (ui, unit) in units.iter().enumerate() {
        // Units differ in diligence, so the ranking has a spread.
        let n = 6 + (ui * 7) % 11;
        let care = (ui % 4) as u64; // 0 = careful … 3 = sloppy
        for k in 0..n {
            let v = r.pick(VOCAB);
            let (chain, field, objects, techniques, extra) = *v;
            let object = r.pick(objects);
            let technique = r.pick(techniques);
            let title = format!("{object}{technique}");
            let chain_name = chains.get(chain).map(|c| c.zh).unwrap_or("");
            let mut keywords = vec![object.to_string()];
            for kw in [*r.pick(extra), *r.pick(extra)] {
                if !keywords.iter().any(|x| x == kw) {
                    keywords.push(kw.to_string());
                }
            }
            let stage = *r.pick(&["lab", "pilot", "mature"]);
            let summary = format!(
                "本成果面向{chain_name}产业链对{object}的需求，研究形成{technique}。项目团队在关键工艺参数、结构设计和检测验证方面取得突破，\
                 相关指标达到{}水平，已在沈阳本地企业完成{}验证，可通过{}等方式实施转化。",
                r.pick(&["国内领先", "国内先进", "国际先进"]),
                match stage { "lab" => "实验室", "pilot" => "中试", _ => "工程化应用" },
                r.pick(&["技术许可", "合作实施", "技术转让"])
            );
            let sloppy = care >= 2 && r.below(3) == 0;
            let created = r.below(SPAN_DAYS - 60);
            let new = NewAchievement {
                reference: format!("DM-{}-{:03}", unit.id, k + 1),
                title,
                summary: if sloppy {
                    format!("{object}{technique}。")
                } else {
                    summary
                },
                keywords: if sloppy {
                    keywords[..1].to_vec()
                } else {
                    keywords
                },
                category: "applied".into(),
                stage: (!sloppy).then(|| stage.to_string()),
                trl: (!sloppy).then_some(match stage {
                    "lab" => 4,
                    "pilot" => 6,
                    _ => 8,
                }),
                attribute: Some(r.pick(&["original", "absorbed", "secondary"]).to_string()),
                level: Some(
                    r.pick(&[
                        "domestic_leading",
                        "domestic_advanced",
                        "international_advanced",
                        "not_evaluated",
                    ])
                    .to_string(),
                ),
                ip_type: Some(
                    r.pick(&["patent", "patent", "software_copyright", "technical_secret"])
                        .to_string(),
                ),
                ip_numbers: if sloppy {
                    String::new()
                } else {
                    format!(
                        "ZL{}1{:07}.{}",
                        2018 + r.below(6),
                        r.below(9_999_999),
                        r.below(10)
                    )
                },
                discipline: r.pick(DISCIPLINES).to_string(),
                tech_field: Some(field.to_string()),
                chains: vec![chain.to_string()],
                transformation_modes: vec![r
                    .pick(&[
                        "transfer",
                        "licensing",
                        "joint_implementation",
                        "equity_investment",
                    ])
                    .to_string()],
                price: (r.below(3) > 0).then(|| Fen((20 + r.below(480) as i64) * 1_000_000)),
                completers: (0..1 + r.below(4)).map(|_| person(&mut r)).collect(),
                period_start: Some(format!("{}-{:02}-01", 2018 + r.below(4), 1 + r.below(12))),
                period_end: Some(format!("{}-{:02}-28", 2022 + r.below(3), 1 + r.below(12))),
                contact_name: if sloppy {
                    String::new()
                } else {
                    person(&mut r)
                },
                contact_phone: format!("024-{}", 20_000_000 + r.below(9_999_999)),
                contact_email: format!("ttc{}@example.edu.cn", unit.id),
                visibility: if r.below(10) == 0 {
                    Visibility::Restricted
                } else {
                    Visibility::Public
                },
            };
            let roll = r.below(20) + care;
            let (status, returned, reason) = match roll {
                0..=12 => (
                    AchievementStatus::Published,
                    (care > 1 && r.below(2) == 0) as i64,
                    "",
                ),
                13..=15 => (AchievementStatus::Submitted, 0, ""),
                16 | 17 => (AchievementStatus::Returned, 1, *r.pick(RETURN_REASONS)),
                18 => (AchievementStatus::Withdrawn, 0, ""),
                _ => (AchievementStatus::Draft, 0, ""),
            };
            let submitted = (status != AchievementStatus::Draft).then(|| created + 1 + r.below(20));
            let published = (status == AchievementStatus::Published
                || status == AchievementStatus::Withdrawn)
                .then(|| submitted.unwrap_or(created) + 3 + r.below(10 + care * 20));
            achievements.push(DemoAchievement {
                owner: unit.id,
                new,
                status,
                created_at: day(created),
                submitted_at: submitted.map(|d| day(d.min(SPAN_DAYS))),
                published_at: published.map(|d| day(d.min(SPAN_DAYS))),
                returned,
                return_reason: reason.to_string(),
            });
        }
    }
    // Some institutes file in English (or both languages): a few such records, written by hand,
    // so that the demo shows English and mixed search. Owners by name; skipped if absent.
    for (k, (owner, title, summary, keywords, chain, field, stage)) in ENGLISH.iter().enumerate() {
        let Some(unit) = units.iter().find(|u| u.name == *owner) else {
            continue;
        };
        let created = 300 + 40 * k as u64;
        achievements.push(DemoAchievement {
            owner: unit.id,
            new: NewAchievement {
                reference: format!("EN-{}-{:03}", unit.id, k + 1),
                title: title.to_string(),
                summary: summary.to_string(),
                keywords: keywords.iter().map(|s| s.to_string()).collect(),
                category: "applied".into(),
                stage: Some(stage.to_string()),
                trl: Some(match *stage {
                    "lab" => 4,
                    "pilot" => 6,
                    _ => 8,
                }),
                attribute: Some("original".into()),
                level: Some("international_advanced".into()),
                ip_type: Some("patent".into()),
                ip_numbers: format!("ZL20221{:07}.{}", 1_234_567 + k, k % 10),
                discipline: DISCIPLINES[k % DISCIPLINES.len()].to_string(),
                tech_field: Some(field.to_string()),
                chains: vec![chain.to_string()],
                transformation_modes: vec!["licensing".into()],
                price: Some(Fen((100 + 50 * k as i64) * 1_000_000)),
                completers: vec!["王志刚".into(), "Li Wei".into()],
                period_start: Some("2020-03-01".into()),
                period_end: Some("2024-12-31".into()),
                contact_name: "陈敏".into(),
                contact_phone: format!("024-2397{:04}", 1000 + k),
                contact_email: format!("ttc{}@example.ac.cn", unit.id),
                visibility: Visibility::Public,
            },
            status: AchievementStatus::Published,
            created_at: day(created),
            submitted_at: Some(day(created + 2)),
            published_at: Some(day(created + 6)),
            returned: 0,
            return_reason: String::new(),
        });
    }
    insert_achievements(store, actor, &achievements).await?;

    let mut demands = Vec::new();
    for (ei, ent) in enterprises.iter().enumerate() {
        for k in 0..4 + ei % 4 {
            let (chain, field, objects, techniques, extra) = *r.pick(VOCAB);
            let object = r.pick(objects);
            let technique = r.pick(techniques);
            let title = format!(
                "寻求{object}{}",
                technique.trim_end_matches("技术").trim_end_matches("方法")
            );
            let low = (10 + r.below(190)) as i64 * 1_000_000;
            let deadline_day = 200 + r.below(SPAN_DAYS + 300);
            let created = deadline_day.saturating_sub(120 + r.below(200));
            let status = match r.below(10) {
                0..=5 => DemandStatus::Published,
                6 => DemandStatus::Matched,
                7 => DemandStatus::Closed,
                _ => DemandStatus::Draft,
            };
            let dl =
                time::macros::date!(2022 - 01 - 01) + time::Duration::days(deadline_day as i64);
            demands.push((
                ent.id,
                NewDemand {
                    reference: format!("XQ-{}-{:03}", ent.id, k + 1),
                    title,
                    description: format!(
                        "我公司在{object}生产中遇到技术瓶颈，希望与高校院所合作攻关{technique}，提升产品性能和良品率。要求合作方具备相关研发基础和中试条件，成果在沈阳本地转化。"
                    ),
                    keywords: vec![object.to_string(), r.pick(extra).to_string()],
                    chain: Some(chain.to_string()),
                    tech_field: Some(field.to_string()),
                    budget_min: Some(Fen(low)),
                    budget_max: Some(Fen(low * 2)),
                    deadline: Some(dl.to_string()),
                    cooperation_mode: Some(
                        r.pick(&["joint_development", "commissioned_development", "transfer", "licensing"]).to_string(),
                    ),
                    district: String::new(),
                    visibility: if r.below(5) == 0 { Visibility::Restricted } else { Visibility::Public },
                    contact_name: person(&mut r),
                    contact_phone: format!("024-{}", 30_000_000 + r.below(9_999_999)),
                },
                status,
                day(created.min(SPAN_DAYS)),
            ));
        }
    }
    // The enterprise demo account's own open demands, written by hand so that its workspace
    // shows matches worth looking at (deadline a year from the day the demo is loaded).
    if let Some(ent) = enterprises
        .iter()
        .find(|e| e.name == "沈阳新松机器人自动化股份有限公司")
    {
        let deadline = time::OffsetDateTime::now_utc().date() + time::Duration::days(365);
        for (k, (title, description, keywords)) in SIASUN_DEMANDS.iter().enumerate() {
            demands.push((
                ent.id,
                NewDemand {
                    reference: format!("XQ-{}-9{:02}", ent.id, k + 1),
                    title: title.to_string(),
                    description: description.to_string(),
                    keywords: keywords.iter().map(|s| s.to_string()).collect(),
                    chain: Some("robotics".into()),
                    tech_field: Some("advanced_manufacturing".into()),
                    budget_min: Some(Fen(100_000_000)),
                    budget_max: Some(Fen(300_000_000)),
                    deadline: Some(deadline.to_string()),
                    cooperation_mode: Some("joint_development".into()),
                    district: String::new(),
                    visibility: Visibility::Public,
                    contact_name: "赵磊".into(),
                    contact_phone: format!("024-3116{:04}", 2000 + k),
                },
                DemandStatus::Published,
                day(SPAN_DAYS - 30 + k as u64),
            ));
        }
    }
    insert_demands(store, actor, &demands).await?;
    Ok((achievements.len(), demands.len()))
}
