pub mod table;
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Access { El0Rw, El0Ro, El0RoEl1Rw, El0Daif, SpEl0, El1Rw, El1Ro, El1Wo, El2Rw, El2Ro, El3Rw, El3Ro, CntFrq, CntPct, CntVct, Alias12(table::SysReg) }
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Trap { None, Tid0, Tid1, Tid2, Tid3, Tvm, Tacr, PauthKey, Lor, Tda }
